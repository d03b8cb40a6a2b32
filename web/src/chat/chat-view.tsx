/** The chat: header with the connection state, the message pane, the input and the user list. */
import { useEffect, useId, useRef, useState, useSyncExternalStore } from 'react';
import { Announcer } from './announcer.js';
import type { ChatSession, ChatSnapshot } from './chat-session.js';
import { Composer } from './composer.js';
import { MessageList } from './message-list.js';
import { UserList } from './user-list.js';

export interface ChatViewProps {
  session: ChatSession;
  /** Kept mounted but not shown (the server browser is in front). */
  hidden?: boolean;
  /** Leaves the server (the session calls back to go to the server list). */
  onLeave: () => void;
}

export function ChatView({ session, hidden = false, onLeave }: ChatViewProps) {
  const snap = useSyncExternalStore(session.subscribe, session.getSnapshot);
  const [usersOpen, setUsersOpen] = useState(false);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const usersToggleRef = useRef<HTMLButtonElement>(null);
  const usersId = useId();
  const title = snap.serverName || snap.url;

  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  // The user list panel (narrow screens) takes the focus when opened.
  useEffect(() => {
    if (usersOpen) document.getElementById(usersId)?.querySelector<HTMLElement>('.users-close')?.focus();
  }, [usersOpen, usersId]);

  return (
    <>
      <section className="chat" aria-labelledby="chat-title" hidden={hidden}>
        <header className="chat-header">
          <div className="chat-title-block">
            <h2 id="chat-title">{title}</h2>
            <p className="chat-subtitle">
              as <strong>{snap.username}</strong> · <span className="mono">{snap.url.replace(/\/$/, '')}</span>
            </p>
          </div>
          <ConnectionState snap={snap} onReconnect={() => void session.reconnect()} />
          <div className="chat-actions">
            <button
              type="button"
              ref={usersToggleRef}
              className="users-toggle"
              aria-expanded={usersOpen}
              aria-controls={usersId}
              onClick={() => setUsersOpen((o) => !o)}
            >
              Users <span className="count">{snap.userCount.toLocaleString('en')}</span>
            </button>
            <button type="button" onClick={onLeave}>
              Leave
            </button>
          </div>
        </header>
        <div className="chat-body">
          <div className="chat-main">
            <MessageList entries={snap.entries} dropped={snap.dropped} label={`Messages in ${title}`} />
            <Composer session={session} error={snap.inputError} serverName={title} inputRef={inputRef} />
          </div>
          <UserList
            id={usersId}
            users={snap.users}
            count={snap.userCount}
            large={snap.largeRoom}
            complete={snap.usersComplete}
            onLoadMore={() => session.loadMoreUsers()}
            me={snap.username}
            open={usersOpen}
            onClose={() => {
              setUsersOpen(false);
              usersToggleRef.current?.focus();
            }}
          />
        </div>
      </section>
      {/* Outside the section: it goes on reading out new messages while the server browser is in front. */}
      <Announcer session={session} />
    </>
  );
}

function ConnectionState({ snap, onReconnect }: { snap: ChatSnapshot; onReconnect: () => void }) {
  const seconds = useCountdown(snap.retryAt);
  return (
    <div className={`connection state-${snap.status}`}>
      <p role="status" className="connection-text">
        <span className="dot" aria-hidden="true" />
        {snap.statusText}
        {snap.status !== 'connected' && snap.lastError && !snap.banned && (
          <span className="connection-reason"> — {snap.lastError}</span>
        )}
      </p>
      {snap.status === 'reconnecting' && seconds !== null && seconds > 0 && (
        <span className="connection-countdown" aria-hidden="true">
          next try in {seconds} s
        </span>
      )}
      {snap.status === 'closed' && !snap.banned && snap.statusText !== 'Left' && (
        <button type="button" className="small" onClick={onReconnect}>
          Reconnect
        </button>
      )}
    </div>
  );
}

/** Whole seconds left until `at`, ticking; null without a time. */
function useCountdown(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

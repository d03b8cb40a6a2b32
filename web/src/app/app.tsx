/**
 * The web client: two views, the server browser and the chat, under one header.
 *
 * - On a listing server's page the directory is on the same origin; the chat view opens
 *   once a server is joined.
 * - On a chat server's page that server is preselected: the chat view starts with a form
 *   to join it, and the server browser (reading the listing named by `?listing=`, or port
 *   8080 of the same host) is the other tab.
 */
import { type RefObject, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { C2Client, C2Error, ListingClient, pingC2 } from '../../../src/client/index.js';
import { normalizeUsername, validateUsername } from '../../../src/protocol/index.js';
import { DirectoryMonitor } from '../browser/directory-monitor.js';
import { type Joined, type JoinTarget, ServerBrowser } from '../browser/server-browser.js';
import { ChatSession, type ChatSnapshot } from '../chat/chat-session.js';
import { ChatView } from '../chat/chat-view.js';
import { formatRtt, titleFor } from '../lib/format.js';
import { frameScheduler } from '../lib/schedule.js';
import { load, save } from '../lib/storage.js';
import {
  classifyHealth,
  fetchHealth,
  homeServer,
  homeWsUrl,
  initialListingUrl,
  normalizeListingUrl,
  type Origin,
} from '../lib/where.js';

type View = 'servers' | 'chat';

const RECONNECT = { initialDelayMs: 500, maxDelayMs: 15_000 };
const secure = () => window.location.protocol === 'https:';

function checkName(name: string): string | null {
  // The length limit is the server's to set: it answers with its own when a name is too long.
  const problem = validateUsername(normalizeUsername(name), Number.MAX_SAFE_INTEGER);
  return problem === null ? null : problem.charAt(0).toUpperCase() + problem.slice(1);
}

const noSession = {
  subscribe: () => () => {},
  getSnapshot: () => null,
};

function useSessionSnapshot(session: ChatSession | null): ChatSnapshot | null {
  const store = session ?? noSession;
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

function useDocumentHidden(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      document.addEventListener('visibilitychange', onChange);
      return () => document.removeEventListener('visibilitychange', onChange);
    },
    () => document.hidden,
  );
}

export function App({ origin }: { origin: Origin }) {
  const onChatServer = origin.kind === 'chat-server';
  const [view, setView] = useState<View>(onChatServer ? 'chat' : 'servers');
  const [name, setName] = useState(() => load('name') ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [joinError, setJoinError] = useState<string | null>(null);
  const [joining, setJoining] = useState<string | null>(null);
  const [session, setSession] = useState<ChatSession | null>(null);
  const [joined, setJoined] = useState<Joined | null>(null);
  const [listingUrl, setListingUrl] = useState(() => initialListingUrl(origin, load('listing')));
  const [unread, setUnread] = useState(0);
  const hidden = useDocumentHidden();
  const snap = useSessionSnapshot(session);
  const browserNameRef = useRef<HTMLInputElement>(null);
  const joinNameRef = useRef<HTMLInputElement>(null);
  const mainRef = useRef<HTMLElement>(null);
  const viewRef = useRef(view);
  viewRef.current = view;

  // ---- the directory --------------------------------------------------------------------

  const monitor = useMemo(() => {
    const listing = new ListingClient(listingUrl, { timeoutMs: 8000 });
    return new DirectoryMonitor({
      page: (query, limit, cursor, signal) => listing.page(query, { limit, cursor, signal }),
      // Two pings on the connection, the faster counts: the first is often slowed by the warm-up.
      // A TLS server (and any server, from a page served over HTTPS) over wss://.
      ping: (server) =>
        pingC2(server.address, {
          secure: secure() || server.tls,
          timeoutMs: 4000,
          expectedId: server.id,
          samples: 2,
        }),
      ...(origin.kind === 'chat-server'
        ? {
            home: async () => {
              const o = classifyHealth(await fetchHealth(AbortSignal.timeout(4000)));
              if (o.kind !== 'chat-server') throw new Error('this page is no longer served by a chat server');
              return homeServer(o.health);
            },
          }
        : {}),
    });
  }, [listingUrl, origin.kind]);

  // Refresh while someone can see it: the browser, or the join form (its ping and users).
  useEffect(() => {
    if (hidden || (view === 'chat' && session !== null)) return;
    monitor.start();
    return () => monitor.stop();
  }, [monitor, hidden, view, session]);

  const changeListing = useCallback((text: string): string | null => {
    const url = normalizeListingUrl(text);
    if (url === null) return 'Enter an http:// or https:// address, for example http://localhost:8080';
    setListingUrl(url);
    save('listing', url);
    const params = new URLSearchParams(window.location.search);
    params.set('listing', url);
    window.history.replaceState(null, '', `${window.location.pathname}?${params}${window.location.hash}`);
    return null;
  }, []);

  // ---- joining and leaving ----------------------------------------------------------------

  const changeName = useCallback((value: string) => {
    setName(value);
    setNameError(null);
    setJoinError(null);
    save('name', value);
  }, []);

  const focusName = useCallback(() => {
    const ref: RefObject<HTMLInputElement | null> = viewRef.current === 'chat' ? joinNameRef : browserNameRef;
    ref.current?.focus();
  }, []);

  const leave = useCallback((s: ChatSession) => {
    s.dispose();
    setSession((current) => (current === s ? null : current));
    setView('servers');
    setUnread(0);
    requestAnimationFrame(() => browserNameRef.current?.focus());
  }, []);

  const join = useCallback(
    async (target: JoinTarget) => {
      const username = name.trim();
      const problem = checkName(username);
      if (problem !== null) {
        setNameError(problem);
        focusName();
        return;
      }
      setJoining(target.url);
      setJoinError(null);
      if (session !== null) {
        await session.quit();
        session.dispose();
        setSession(null);
      }
      const s: ChatSession = new ChatSession({
        client: new C2Client({ reconnect: RECONNECT }),
        url: target.url,
        username,
        schedule: frameScheduler(),
        onQuit: () => leave(s),
      });
      try {
        await s.connect();
        if (username !== name) changeName(username);
        setSession(s);
        setJoined({ url: target.url, id: target.id });
        setView('chat');
        setUnread(0);
      } catch (err) {
        s.dispose();
        // The server's code says whose fault it is: a name it will not take (choose another)
        // or anything else (full, unavailable…), shown beside the server.
        if (err instanceof C2Error && err.isNameProblem) setNameError(err.message);
        else setJoinError(`Could not join ${target.label}: ${(err as Error).message}`);
        focusName();
      } finally {
        setJoining(null);
      }
    },
    [name, session, leave, focusName, changeName],
  );

  // Leaving the page says goodbye (c2/DISCONNECT), so the others see "left", not "lost".
  useEffect(() => {
    if (session === null) return;
    const bye = () => void session.client.disconnect();
    window.addEventListener('pagehide', bye);
    return () => window.removeEventListener('pagehide', bye);
  }, [session]);

  // ---- unread count and title -------------------------------------------------------------

  useEffect(() => {
    if (session === null) return;
    return session.onIncoming((entries) => {
      if (!document.hidden && viewRef.current === 'chat') return;
      const n = entries.filter((e) => e.kind === 'message').length;
      if (n > 0) setUnread((u) => u + n);
    });
  }, [session]);

  useEffect(() => {
    if (!hidden && view === 'chat') setUnread(0);
  }, [hidden, view]);

  const base = snap && view === 'chat' ? `${snap.serverName || 'Chat'} · Chatter` : 'Servers · Chatter';
  useEffect(() => {
    document.title = titleFor(base, unread);
  }, [base, unread]);

  // Move focus to the new view's content when switching views by the tabs.
  const switchView = (next: View) => {
    setView(next);
    requestAnimationFrame(() => {
      if (next === 'servers') browserNameRef.current?.focus();
      else if (session === null) joinNameRef.current?.focus();
      else document.getElementById('composer-input')?.focus();
    });
  };

  const chatTabEnabled = session !== null || onChatServer;

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <h1 className="brand">
          <img src="favicon.svg" alt="" width={28} height={28} />
          Chatter
        </h1>
        <nav aria-label="Views" className="tabs">
          <button
            type="button"
            className="tab"
            aria-current={view === 'servers' ? 'page' : undefined}
            onClick={() => switchView('servers')}
          >
            Servers
          </button>
          <button
            type="button"
            className="tab"
            aria-current={view === 'chat' ? 'page' : undefined}
            disabled={!chatTabEnabled}
            title={chatTabEnabled ? undefined : 'Join a server to chat'}
            onClick={() => switchView('chat')}
          >
            Chat
            {snap && <span className="tab-detail"> · {snap.serverName || 'connecting'}</span>}
            {unread > 0 && (
              <span className="unread">
                {unread}
                <span className="visually-hidden"> unread</span>
              </span>
            )}
          </button>
        </nav>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {(view === 'servers' || !chatTabEnabled) && (
          <ServerBrowser
            monitor={monitor}
            listingUrl={listingUrl}
            listingEditable={origin.kind !== 'listing'}
            onListingUrlChange={changeListing}
            name={name}
            onNameChange={changeName}
            nameError={nameError}
            joining={joining}
            joinError={joinError}
            onJoin={(t) => void join(t)}
            joined={session ? joined : null}
            onOpenChat={() => switchView('chat')}
            nameInputRef={browserNameRef}
          />
        )}
        {/* Kept mounted while the server browser is shown: scroll position, draft and announcements carry on. */}
        {session !== null && (
          <ChatView session={session} hidden={view !== 'chat'} onLeave={() => void session.quit()} />
        )}
        {session === null && view === 'chat' && origin.kind === 'chat-server' && (
          <JoinHome
            monitor={monitor}
            fallbackName={origin.health.name}
            name={name}
            onNameChange={changeName}
            error={nameError ?? joinError}
            joining={joining !== null}
            onJoin={() => void join({ url: homeWsUrl(), label: origin.health.name, id: origin.health.id })}
            onBrowse={() => switchView('servers')}
            inputRef={joinNameRef}
          />
        )}
      </main>
    </div>
  );
}

/** The chat tab of a chat server's page before joining: join this server. */
function JoinHome(props: {
  monitor: DirectoryMonitor;
  fallbackName: string;
  name: string;
  onNameChange: (name: string) => void;
  error: string | null;
  joining: boolean;
  onJoin: () => void;
  onBrowse: () => void;
  inputRef: RefObject<HTMLInputElement | null>;
}) {
  const snap = useSyncExternalStore(props.monitor.subscribe, props.monitor.getSnapshot);
  const home = snap.home;
  const ping = home ? snap.pings.get(home.address) : undefined;
  useEffect(() => {
    props.inputRef.current?.focus();
  }, [props.inputRef]);
  return (
    <section className="join-home card" aria-labelledby="join-home-title">
      <p className="eyebrow">Welcome to</p>
      <h2 id="join-home-title">{home?.displayName ?? props.fallbackName}</h2>
      <p className="home-facts">
        {home && (
          <span>
            {home.connectedUsers} / {home.maxUsers} users online
          </span>
        )}
        {ping?.status === 'ok' && <span>ping {formatRtt(ping.rttMs)}</span>}
      </p>
      <form
        className="join-form"
        onSubmit={(e) => {
          e.preventDefault();
          props.onJoin();
        }}
      >
        <label htmlFor="join-name">Your name</label>
        <div className="inline">
          <input
            id="join-name"
            ref={props.inputRef}
            value={props.name}
            onChange={(e) => props.onNameChange(e.target.value)}
            autoComplete="nickname"
            spellCheck={false}
            maxLength={64}
            aria-invalid={props.error !== null}
            aria-describedby="join-name-error"
          />
          <button type="submit" className="primary" disabled={props.joining} aria-busy={props.joining}>
            {props.joining ? 'Joining…' : 'Join'}
          </button>
        </div>
        <p id="join-name-error" className="field-error" role="alert">
          {props.error ?? ''}
        </p>
      </form>
      <p className="muted">
        Or{' '}
        <button type="button" className="link" onClick={props.onBrowse}>
          browse the other servers
        </button>{' '}
        in the directory.
      </p>
    </section>
  );
}

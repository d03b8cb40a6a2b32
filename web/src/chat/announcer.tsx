/**
 * A visually hidden live region that reads out what others say and do, for screen reader
 * users (the message pane itself is virtualised, so it cannot be the live region: its rows
 * come and go as it scrolls). A burst is summed up rather than read out line by line.
 */
import { useEffect, useState } from 'react';
import type { ChatSession } from './chat-session.js';
import type { Entry } from './entries.js';

const KEEP = 5;
const BURST = 4;

function say(entry: Entry): string {
  return entry.kind === 'message' ? `${entry.username}: ${entry.text}` : entry.text;
}

export function Announcer({ session }: { session: ChatSession }) {
  const [lines, setLines] = useState<Array<{ key: number; text: string }>>([]);
  useEffect(
    () =>
      session.onIncoming((entries) => {
        const text = entries.length > BURST ? `${entries.length} new messages and events` : entries.map(say).join('. ');
        const key = entries[entries.length - 1]?.id ?? 0;
        setLines((old) => [...old.slice(-(KEEP - 1)), { key, text }]);
      }),
    [session],
  );
  return (
    <div className="visually-hidden" role="log" aria-live="polite" aria-relevant="additions" aria-label="New messages">
      {lines.map((l) => (
        <p key={l.key}>{l.text}</p>
      ))}
    </div>
  );
}

/**
 * The scrolling message pane. It renders only the entries that can show (each takes at
 * least one row) and pins the newest to the bottom; a long entry that wraps pushes the
 * oldest shown ones out of the top. `end` is one past the newest entry to show.
 */
import { Box, Text } from 'ink';
import type { Entry, NoticeTone } from './log.js';
import { formatTime } from './log.js';

const TONE_COLOR: Record<NoticeTone, string | undefined> = {
  info: undefined,
  join: 'green',
  leave: 'yellow',
  rename: 'cyan',
  ban: 'red',
  error: 'red',
  status: 'magenta',
};

export function MessagePane({
  entries,
  height,
  end,
  me,
}: {
  entries: readonly Entry[];
  height: number;
  end: number;
  me: string;
}) {
  const shown = entries.slice(Math.max(0, end - height), end);
  return (
    <Box flexDirection="column" height={height} justifyContent="flex-end" overflow="hidden" flexGrow={1}>
      {shown.map((entry) => (
        <EntryLine key={entry.id} entry={entry} me={me} />
      ))}
    </Box>
  );
}

function EntryLine({ entry, me }: { entry: Entry; me: string }) {
  const time = <Text dimColor>{formatTime(entry.time)} </Text>;
  if (entry.kind === 'notice') {
    return (
      <Box flexShrink={0}>
        <Text wrap="wrap">
          {time}
          <Text color={TONE_COLOR[entry.tone]}>{entry.tone === 'error' ? `✗ ${entry.text}` : entry.text}</Text>
          {entry.detail === undefined ? null : `\n${entry.detail}`}
        </Text>
      </Box>
    );
  }
  if (entry.server) {
    // The server's own announcement: an inverse badge and no <name> brackets, which no
    // user's message has (a user cannot take the server's name).
    return (
      <Box flexShrink={0}>
        <Text wrap="wrap" dimColor={entry.source !== 'live'}>
          {time}
          <Text inverse bold color="yellow">
            {' SERVER '}
          </Text>{' '}
          <Text bold color="yellow">
            {`${entry.username}:`}
          </Text>{' '}
          <Text color="yellow">{entry.text}</Text>
        </Text>
      </Box>
    );
  }
  const mentioned = !entry.own && me !== '' && entry.text.toLowerCase().includes(me.toLowerCase());
  return (
    <Box flexShrink={0}>
      <Text wrap="wrap" dimColor={entry.source !== 'live'}>
        {time}
        <Text bold color={entry.own ? 'cyan' : 'blue'}>
          {`<${entry.username}>`}
        </Text>{' '}
        <Text color={mentioned ? 'yellow' : undefined}>{entry.text}</Text>
      </Text>
    </Box>
  );
}

/** The top line: server, address, our name and the connection state. */
import { Box, Text } from 'ink';
import type { StateEvent } from '../../client/types.js';
import { formatDelay } from './use-chat.js';

export function StatusBar({
  status,
  url,
  me,
  width,
  users,
}: {
  status: StateEvent;
  url: string;
  me: string;
  width: number;
  /** How many users are connected (shown while connected). */
  users: number;
}) {
  const [label, color] = describe(status);
  const right = ` ${label} `;
  const count =
    status.state === 'connected' ? ` · ${users.toLocaleString('en')} ${users === 1 ? 'user' : 'users'}` : '';
  let left = ` c2 · ${status.serverName || '…'} · ${url} · ${me}${count} `;
  const room = Math.max(0, width - right.length);
  if (left.length > room) left = `${left.slice(0, Math.max(0, room - 1))}…`;
  return (
    <Box flexShrink={0}>
      <Text inverse>{left.padEnd(room)}</Text>
      <Text inverse color={color}>
        {right}
      </Text>
    </Box>
  );
}

function describe(status: StateEvent): [string, string] {
  switch (status.state) {
    case 'connected':
      return ['● connected', 'green'];
    case 'reconnecting':
      return [`◌ reconnecting (attempt ${status.attempt}, ${formatDelay(status.delayMs ?? 0)})`, 'yellow'];
    case 'connecting':
      return ['◌ connecting', 'yellow'];
    default:
      return ['○ disconnected', 'red'];
  }
}

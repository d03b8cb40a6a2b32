/**
 * The user list beside the messages: join order, ourselves marked. In a large room (more
 * users than the server announces) it shows the count and the first page loaded; `/users`
 * pages through the rest.
 */
import { Box, Text } from 'ink';

export function UserList({
  users,
  me,
  width,
  height,
  stale,
  count,
  large,
}: {
  users: readonly string[];
  /** How many are connected: more than `users` in a large room. */
  count: number;
  large: boolean;
  me: string;
  width: number;
  height: number;
  /** While reconnecting: the last known list, dimmed. */
  stale: boolean;
}) {
  const room = Math.max(0, height - 1);
  const shown = users.length > room ? users.slice(0, Math.max(0, room - 1)) : users;
  const more = Math.max(users.length, count) - shown.length;
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      flexShrink={0}
      borderStyle="single"
      borderTop={false}
      borderBottom={false}
      borderRight={false}
      paddingLeft={1}
      overflow="hidden"
    >
      {/* One row each, however narrow the panel: a wrapped line would push the names over the header. */}
      <Text bold dimColor={stale} wrap="truncate-end">
        {`users (${count.toLocaleString('en')})`}
      </Text>
      {shown.map((name) => (
        <Text key={name} wrap="truncate-end" dimColor={stale} color={name === me ? 'cyan' : undefined}>
          {name === me ? `${name} (you)` : name}
        </Text>
      ))}
      {more > 0 ? (
        <Text dimColor wrap="truncate-end">{`… ${more.toLocaleString('en')} more${large ? ' · /users' : ''}`}</Text>
      ) : null}
    </Box>
  );
}

/**
 * The chat screen: status bar, message pane and user list, and the input line, laid out
 * to fill the terminal and re-laid out when it is resized.
 */
import { Box, Text } from 'ink';
import { useRef, useState } from 'react';
import type { C2Client } from '../../client/c2-client.js';
import type { InputHistory } from '../../client/input-history.js';
import { parseInput } from '../../client/slash.js';
import {
  CommandError,
  findSlashCommand,
  type SlashMemory,
  slashContext,
  toEntries,
} from '../../client/slash-commands.js';
import { PRESENTATION } from './commands.js';
import { InputLine } from './input-line.js';
import { type NewEntry, notice } from './log.js';
import { MessagePane } from './message-pane.js';
import { StatusBar } from './status-bar.js';
import type { ChatState } from './use-chat.js';
import { useTerminalSize } from './use-terminal-size.js';
import { UserList } from './user-list.js';

export interface ChatViewProps {
  client: C2Client;
  url: string;
  chat: ChatState;
  history: InputHistory;
  onQuit(): Promise<void>;
}

/** Rows that are not the message pane: status bar, separator, input line. */
const CHROME_ROWS = 3;

export function ChatView({ client, url, chat, history, onQuit }: ChatViewProps) {
  const { columns, rows } = useTerminalSize();
  // One row less than the terminal: Ink redraws a frame as tall as the screen by clearing it.
  const height = Math.max(CHROME_ROWS + 1, rows - 1);
  const bodyHeight = height - CHROME_ROWS;
  const showUsers = columns >= 50;
  const header = `users (${chat.count.count.toLocaleString('en')})`.length + 3;
  const userWidth = Math.min(24, Math.max(14, header, ...chat.users.map((u) => u.length + 9)));
  // Scrolled back: the id of the newest entry in view, which stays in view as more arrive.
  const [anchor, setAnchor] = useState<number | null>(null);
  const anchorIndex = anchor === null ? -1 : chat.entries.findIndex((e) => e.id === anchor);
  const end = anchorIndex === -1 ? chat.entries.length : anchorIndex + 1;
  const below = chat.entries.length - end;

  // What a command remembers between runs (the last /users page), for as long as the screen lives.
  const memory = useRef<SlashMemory>({}).current;
  const ctx = slashContext(client, { clear: chat.clear, quit: onQuit, memory });
  // Requests go out at once (pipelined), but their outcomes are shown in the order typed.
  const shown = useRef<Promise<void>>(Promise.resolve());
  const inOrder = (work: Promise<NewEntry[]>, failure: string) => {
    shown.current = shown.current.then(() =>
      work.then(
        (entries) => {
          if (entries.length > 0) chat.show(...entries);
        },
        // A mistake in the command line speaks for itself; a refusal says who refused.
        (err: Error) => chat.say(err instanceof CommandError ? err.message : `${failure}: ${err.message}`, 'error'),
      ),
    );
  };

  const submit = (text: string) => {
    const input = parseInput(text);
    if (input.kind === 'empty') return;
    setAnchor(null);
    if (input.kind === 'message') {
      inOrder(
        client.send(input.text).then(() => []),
        'not sent',
      );
      return;
    }
    const command = findSlashCommand(input.name);
    if (command === undefined) {
      inOrder(Promise.resolve([notice(`unknown command /${input.name}: /help lists the commands`, 'error')]), '');
      return;
    }
    inOrder(
      Promise.resolve()
        .then(() => command.run(ctx, input.rest))
        .then((reply) => toEntries(reply, client.username, PRESENTATION, client.serverName)),
      `/${command.name}`,
    );
  };

  const onScroll = (direction: 'up' | 'down' | 'bottom') => {
    const page = Math.max(1, bodyHeight - 1);
    const { entries } = chat;
    const target = direction === 'up' ? Math.max(1, end - page) : direction === 'down' ? end + page : entries.length;
    setAnchor(target >= entries.length ? null : (entries[target - 1]?.id ?? null));
  };

  const rule = below > 0 ? `── ${below} newer ${below === 1 ? 'line' : 'lines'} below · PgDn or Esc to return ` : '';
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <StatusBar status={chat.status} url={url} me={client.username} width={columns} users={chat.count.count} />
      <Box flexDirection="row" height={bodyHeight}>
        <MessagePane entries={chat.entries} height={bodyHeight} end={end} me={client.username} />
        {showUsers ? (
          <UserList
            users={chat.users}
            me={client.username}
            width={userWidth}
            height={bodyHeight}
            stale={chat.status.state !== 'connected'}
            count={chat.status.state === 'connected' ? chat.count.count : chat.users.length}
            large={chat.count.large}
          />
        ) : null}
      </Box>
      <Text dimColor wrap="truncate-end">
        {rule + '─'.repeat(Math.max(0, columns - rule.length))}
      </Text>
      <InputLine
        prompt="> "
        width={columns}
        onSubmit={submit}
        onQuit={() => void onQuit()}
        onScroll={onScroll}
        names={chat.users}
        history={history}
      />
    </Box>
  );
}

/** Asks for a username (when none was given, or the server refused the one tried). */
import { Box, Text } from 'ink';
import { normalizeUsername, validateUsername } from '../../protocol/rules.js';
import { InputLine } from './input-line.js';
import { useKeys } from './keys.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface NamePromptProps {
  url: string;
  /** Why the last name was refused. */
  error?: string;
  initial?: string;
  busy: boolean;
  onSubmit(name: string): void;
  onInvalid(reason: string): void;
  onQuit(): void;
}

export function NamePrompt({ url, error, initial, busy, onSubmit, onInvalid, onQuit }: NamePromptProps) {
  const { columns } = useTerminalSize();
  // While connecting there is no input line; Ctrl+C still gives up.
  useKeys((input, key) => {
    if (key.ctrl && input === 'c') onQuit();
  }, busy);
  const submit = (raw: string) => {
    // The rules every c2 server shares; the length limit is each server's own.
    const problem = validateUsername(normalizeUsername(raw), Number.MAX_SAFE_INTEGER);
    if (problem) onInvalid(problem);
    else onSubmit(raw);
  };
  return (
    <Box flexDirection="column" width={columns}>
      <Text>
        Joining <Text bold>{url}</Text>
      </Text>
      {error ? <Text color="red">{`✗ ${error}`}</Text> : null}
      {busy ? (
        <Text color="yellow">connecting…</Text>
      ) : (
        <InputLine
          key={`${error}|${initial}`}
          prompt="Your name: "
          width={columns}
          initial={initial ?? ''}
          onSubmit={submit}
          onQuit={onQuit}
        />
      )}
      <Text dimColor>Enter to join · Ctrl+C to give up</Text>
    </Box>
  );
}

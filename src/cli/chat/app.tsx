/**
 * The terminal client: asks for a name when it has none, joins, then shows the chat
 * until `/quit` (or Ctrl+C), a ban, or a connection that cannot be re-made.
 */
import { useEffect, useRef, useState } from 'react';
import type { C2Client } from '../../client/c2-client.js';
import type { C2Error } from '../../client/errors.js';
import { InputHistory } from '../../client/input-history.js';
import { ChatView } from './chat-view.js';
import { KeyRouter } from './keys.js';
import { NamePrompt } from './name-prompt.js';
import { useChat } from './use-chat.js';

export interface ChatAppProps {
  client: C2Client;
  url: string;
  /** Join at once under this name; ask when absent. */
  username?: string;
  /** The program is done: its exit code, and a last line for standard error. */
  onExit(code: number, message?: string): void;
}

type Phase = 'asking' | 'connecting' | 'chat' | 'leaving';

export function ChatApp({ client, url, username, onExit }: ChatAppProps) {
  // Subscribed from the start, so nothing said right after joining is missed.
  const chat = useChat(client);
  const [phase, setPhaseState] = useState<Phase>(username === undefined ? 'asking' : 'connecting');
  const phaseRef = useRef(phase);
  const setPhase = (next: Phase) => {
    phaseRef.current = next;
    setPhaseState(next);
  };
  const [promptError, setPromptError] = useState<string | undefined>();
  const [promptName, setPromptName] = useState<string | undefined>(username);
  const history = useRef(new InputHistory()).current;
  const exited = useRef(false);

  const exit = (code: number, message?: string) => {
    if (exited.current) return;
    exited.current = true;
    onExit(code, message);
  };

  const join = async (name: string) => {
    setPhase('connecting');
    try {
      const serverName = await client.connect(url, name);
      chat.say(`connected to ${serverName} as ${client.username} · /help lists the commands`, 'status');
      setPhase('chat');
    } catch (err) {
      const error = err as C2Error;
      if (error.isNameProblem) {
        // The name will not do (taken, banned, reserved, invalid): ask for another. Any other
        // refusal (server full, unavailable…) is not the name's fault: say why and stop.
        setPromptError(error.message);
        setPromptName(name);
        setPhase('asking');
      } else {
        exit(1, error.message);
      }
    }
  };

  /** `/quit`, Ctrl+C: leaves (DISCONNECT acknowledged, or an attempt to join abandoned) and exits 0. */
  const quit = async () => {
    if (phaseRef.current === 'leaving') return;
    setPhase('leaving');
    await client.disconnect();
    exit(0);
  };

  // Joining at start when the name was given.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once, on mount
  useEffect(() => {
    if (username !== undefined) void join(username);
  }, []);

  // A chat that ends without /quit: banned, or the connection could not be re-made.
  // biome-ignore lint/correctness/useExhaustiveDependencies: exit is stable in effect (a ref guards it)
  useEffect(
    () =>
      client.on('state', (s) => {
        if (s.state !== 'closed' || phaseRef.current !== 'chat') return;
        if (s.error === undefined)
          exit(0); // left on purpose (disconnect() from elsewhere)
        else if (s.error.code === 'banned') exit(1, `banned from ${client.serverName}: ${s.error.message}`);
        else exit(1, `disconnected from ${url}: ${s.error.message}`);
      }),
    [client, url],
  );

  // One KeyRouter for every screen: the keyboard is read without a gap between screens.
  return (
    <KeyRouter>
      {phase === 'asking' || phase === 'connecting' ? (
        <NamePrompt
          url={url}
          error={promptError}
          initial={promptName}
          busy={phase === 'connecting'}
          onSubmit={(name) => void join(name)}
          onInvalid={(reason) => setPromptError(reason)}
          onQuit={() => void quit()}
        />
      ) : (
        <ChatView client={client} url={url} chat={chat} history={history} onQuit={quit} />
      )}
    </KeyRouter>
  );
}

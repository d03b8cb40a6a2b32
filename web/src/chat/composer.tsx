/**
 * The input: a message or a slash command. Enter sends, Shift+Enter starts a new line,
 * ↑/↓ walk through what was sent. The line is handed to the session and the input is
 * cleared at once: sending never waits for the server or for rendering. When the server
 * refuses (a c2/ERROR), its reason shows under the input, and a message that was not sent
 * comes back into an empty input.
 */
import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { InputHistory } from '../../../src/client/input-history.js';
import type { ChatSession } from './chat-session.js';

export interface ComposerProps {
  session: ChatSession;
  error: string | null;
  serverName: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
}

const MAX_ROWS_PX = 160;

export function Composer({ session, error, serverName, inputRef }: ComposerProps) {
  const [value, setValue] = useState('');
  const history = useRef(new InputHistory()).current;
  const valueRef = useRef(value);
  valueRef.current = value;

  // Grow with the text, up to a few lines.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure whenever the text changes
  useLayoutEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_ROWS_PX)}px`;
  }, [value, inputRef]);

  const send = useCallback(() => {
    const line = valueRef.current;
    if (line.trim() === '') return;
    history.push(line);
    setValue('');
    void session.submit(line).then((result) => {
      if (!result.ok && result.restore !== null && valueRef.current === '') setValue(result.restore);
    });
  }, [history, session]);

  const onSubmit = useCallback(
    (e: FormEvent) => {
      e.preventDefault();
      send();
    },
    [send],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLTextAreaElement>) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
        e.preventDefault();
        send();
        return;
      }
      if (e.key === 'Escape' && error !== null) {
        e.preventDefault();
        session.clearInputError();
        return;
      }
      const el = e.currentTarget;
      const oneLine = !el.value.includes('\n');
      if (e.key === 'ArrowUp' && oneLine && !e.shiftKey && !e.altKey) {
        const line = history.up(el.value);
        if (line !== null) {
          e.preventDefault();
          setValue(line);
        }
      } else if (e.key === 'ArrowDown' && oneLine && !e.shiftKey && !e.altKey) {
        const line = history.down();
        if (line !== null) {
          e.preventDefault();
          setValue(line);
        }
      }
    },
    [send, error, session, history],
  );

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor="composer-input" className="visually-hidden">
        Message {serverName}
      </label>
      <div className="composer-row">
        <textarea
          id="composer-input"
          ref={inputRef}
          rows={1}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder={`Message ${serverName || 'the room'}`}
          aria-invalid={error !== null}
          aria-describedby="composer-error composer-hint"
          autoComplete="off"
          spellCheck
          enterKeyHint="send"
        />
        <button type="submit" className="primary">
          Send
        </button>
      </div>
      <p id="composer-error" className="composer-error" role="alert">
        {error !== null && (
          <>
            <span aria-hidden="true">⚠ </span>
            {error}
            <button type="button" className="link" onClick={() => session.clearInputError()}>
              Dismiss
            </button>
          </>
        )}
      </p>
      <p id="composer-hint" className="composer-hint">
        <span className="long">Enter to send · Shift+Enter for a new line · ↑ for the last line · </span>/help for
        commands
      </p>
    </form>
  );
}

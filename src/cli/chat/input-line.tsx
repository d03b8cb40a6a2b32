/**
 * The input line: editing keys, input history on up/down, Tab to complete a name, and
 * PageUp/PageDown passed up to scroll the message pane.
 */
import { Box, Text } from 'ink';
import { useRef, useState } from 'react';
import { InputHistory } from '../../client/input-history.js';
import { useKeys } from './keys.js';
import {
  backspace,
  complete,
  deleteForward,
  deleteToStart,
  deleteWordBack,
  emptyLine,
  end,
  home,
  insert,
  type Line,
  lineOf,
  move,
  textOf,
  visibleWindow,
} from './line-editor.js';

export interface InputLineProps {
  prompt: string;
  width: number;
  onSubmit(text: string): void;
  /** Ctrl+C, or Ctrl+D on an empty line. */
  onQuit(): void;
  onScroll?(direction: 'up' | 'down' | 'bottom'): void;
  /** Names Tab completes. */
  names?: readonly string[];
  /** Text the line starts with. */
  initial?: string;
  /** Shared across remounts, so the history survives. */
  history?: InputHistory;
  isActive?: boolean;
}

export function InputLine({
  prompt,
  width,
  onSubmit,
  onQuit,
  onScroll,
  names = [],
  initial = '',
  history: sharedHistory,
  isActive = true,
}: InputLineProps) {
  const [line, setLine] = useState<Line>(() => (initial === '' ? emptyLine : lineOf(initial)));
  const ownHistory = useRef<InputHistory | null>(null);
  ownHistory.current ??= new InputHistory();
  const history = sharedHistory ?? ownHistory.current;
  // The latest line, for key handlers that run before React re-renders (fast typing).
  const current = useRef(line);
  const update = (next: Line) => {
    current.current = next;
    setLine(next);
  };
  /** Enter: hands the line over and returns the empty line that replaces it. */
  const submit = (now: Line): Line => {
    const text = textOf(now);
    history.push(text);
    onSubmit(text);
    return emptyLine;
  };

  useKeys((input, key) => {
    const now = current.current;
    if (key.ctrl && input === 'c') return onQuit();
    if (key.ctrl && input === 'd') return textOf(now) === '' ? onQuit() : update(deleteForward(now));
    if (key.return) return update(submit(now));
    if (key.upArrow) {
      const older = history.up(textOf(now));
      if (older !== null) update(lineOf(older));
      return;
    }
    if (key.downArrow) {
      const newer = history.down();
      if (newer !== null) update(lineOf(newer));
      return;
    }
    if (key.pageUp) return onScroll?.('up');
    if (key.pageDown) return onScroll?.('down');
    if (key.escape) return onScroll?.('bottom');
    if (key.leftArrow) return update(move(now, -1));
    if (key.rightArrow) return update(move(now, 1));
    if (key.home || (key.ctrl && input === 'a')) return update(home(now));
    if (key.end || (key.ctrl && input === 'e')) return update(end(now));
    // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
    if (key.backspace || key.delete) return update(backspace(now));
    if (key.ctrl && input === 'u') return update(deleteToStart(now));
    if (key.ctrl && input === 'w') return update(deleteWordBack(now));
    if (key.tab) return update(complete(now, names));
    if (key.ctrl || key.meta || input === '') return;
    // Typed or pasted text. Keys typed quickly (or sent by a program) can arrive as one
    // chunk: every line break in it is an Enter.
    const parts = input.split(/\r\n|\r|\n/);
    let next = now;
    for (const [i, part] of parts.entries()) {
      if (part !== '') next = insert(next, part);
      if (i < parts.length - 1) next = submit(next);
    }
    update(next);
  }, isActive);

  const view = visibleWindow(line, Math.max(1, width - prompt.length));
  const before = shown(view.chars.slice(0, view.cursor));
  const at = shown([view.chars[view.cursor] ?? ' ']);
  const after = shown(view.chars.slice(view.cursor + 1));
  return (
    <Box flexShrink={0} height={1}>
      <Text color="cyan">{prompt}</Text>
      <Text wrap="truncate-end">
        {before}
        <Text inverse>{at}</Text>
        {after}
      </Text>
    </Box>
  );
}

/** One row: line breaks and tabs (from a paste) shown as symbols. */
function shown(chars: readonly string[]): string {
  return chars.map((c) => (c === '\n' ? '↵' : c === '\t' ? '⇥' : c)).join('');
}

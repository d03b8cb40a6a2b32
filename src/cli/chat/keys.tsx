/**
 * One keyboard reader for the whole app, routed to the input that is showing.
 *
 * Ink reads the terminal only while some `useInput` is mounted, and a component's
 * `useInput` starts listening in an effect that runs a moment after its first frame is on
 * screen. Switching screens (name prompt → chat) would leave a gap in which keys reach
 * the old screen or nobody. Here the app listens from start to end, and the visible input
 * takes over the keys in a layout effect, before its first frame can receive any key.
 */
import { type Key, useInput } from 'ink';
import { createContext, type ReactNode, useContext, useLayoutEffect, useRef } from 'react';

export type KeyHandler = (input: string, key: Key) => void;

const KeySlot = createContext<{ current: KeyHandler | null } | null>(null);

export function KeyRouter({ children }: { children: ReactNode }) {
  const slot = useRef<KeyHandler | null>(null);
  useInput((input, key) => slot.current?.(input, key));
  return <KeySlot.Provider value={slot}>{children}</KeySlot.Provider>;
}

/** Receives the keys while `active` (the latest `handler` of each render). */
export function useKeys(handler: KeyHandler, active = true): void {
  const slot = useContext(KeySlot);
  if (slot === null) throw new Error('useKeys needs a <KeyRouter> above it');
  useLayoutEffect(() => {
    if (!active) return;
    slot.current = handler;
    return () => {
      if (slot.current === handler) slot.current = null;
    };
  });
}

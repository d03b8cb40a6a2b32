/**
 * The message pane: a virtualised list. Only the rows in view (plus `OVERSCAN` pixels above
 * and below) are in the DOM, whatever the number of entries, so 10,000 messages scroll as
 * smoothly as 10. Rows have different heights: each is measured once rendered (and again
 * when it resizes), and unmeasured rows count as `ESTIMATE`. The list follows the newest
 * entry while scrolled to the bottom; scrolled up, the row at the top of the view stays
 * put while entries arrive, are measured or are dropped from the front.
 */
import {
  type KeyboardEvent,
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type WheelEvent,
} from 'react';
import { formatFullTime, formatTime, nameColor } from '../lib/format.js';
import type { Entry } from './entries.js';
import { computeOffsets, findRow, rowAt, visibleRange } from './virtual.js';

/** The height of a row not measured yet, until rows have been measured (then their mean). */
const FIRST_ESTIMATE = 32;
const OVERSCAN = 800;
/** Within this many pixels of the bottom counts as "at the bottom". */
const BOTTOM_SLACK = 24;
/**
 * While the reader is scrolling (a scroll event not caused by this code in the last this
 * many ms), the view is not corrected: setting scrollTop would cut a smooth scroll short.
 */
const USER_SCROLL_QUIET_MS = 200;

interface Anchor {
  id: number;
  index: number;
  /** scrollTop minus the row's top. */
  delta: number;
}

export interface MessageListProps {
  entries: readonly Entry[];
  /** Entries dropped from the front of the log. */
  dropped: number;
  label: string;
}

export function MessageList({ entries, dropped, label }: MessageListProps) {
  const scroller = useRef<HTMLElement>(null);
  const heights = useRef(new Map<number, number>()).current;
  const measured = useRef({ sum: 0, count: 0 }).current;
  const lastUserScroll = useRef(0);
  /** The scrollTop this code last set, to tell its own scroll events from the reader's. */
  const ownScroll = useRef<number | null>(null);
  const rows = useRef(new Map<number, HTMLLIElement>()).current;
  const [version, setVersion] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [following, setFollowing] = useState(true);
  const followingRef = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const [unseen, setUnseen] = useState(0);
  const lastId = useRef<number | null>(null);

  const ids = useMemo(() => entries.map((e) => e.id), [entries]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` stands for the heights, a mutable map
  const offsets = useMemo(
    () => computeOffsets(ids, heights, measured.count > 0 ? measured.sum / measured.count : FIRST_ESTIMATE),
    [ids, version, heights, measured],
  );
  const total = offsets[ids.length] ?? 0;
  const top = followingRef.current ? Math.max(0, total - viewport) : scrollTop;
  const [start, end] = visibleRange(offsets, top, viewport, OVERSCAN);

  const layout = useRef({ ids, offsets });
  layout.current = { ids, offsets };

  const setFollow = useCallback((value: boolean) => {
    followingRef.current = value;
    setFollowing(value);
    if (value) setUnseen(0);
  }, []);

  // Count what arrives while scrolled up, for the "new messages" button.
  useEffect(() => {
    const last = ids.length > 0 ? (ids[ids.length - 1] as number) : null;
    const previous = lastId.current;
    lastId.current = last;
    if (followingRef.current || previous === null || last === null || last === previous) return;
    const from = findRow(ids, previous, ids.length - 1);
    const added = from === -1 ? 0 : ids.length - 1 - from;
    if (added > 0) setUnseen((n) => n + added);
  }, [ids]);

  // After every render: measure the rendered rows; then keep the view where it was (or at
  // the bottom).
  useLayoutEffect(() => {
    let changed = false;
    for (const [id, el] of rows) {
      const h = el.getBoundingClientRect().height;
      const old = heights.get(id);
      if (h > 0 && (old === undefined || Math.abs(old - h) > 0.5)) {
        if (old === undefined) measured.count++;
        measured.sum += h - (old ?? 0);
        heights.set(id, h);
        changed = true;
      }
    }
    if (changed) {
      setVersion((v) => v + 1);
      return;
    }
    const el = scroller.current;
    if (el === null) return;
    if (followingRef.current) {
      const bottom = el.scrollHeight - el.clientHeight;
      if (Math.abs(el.scrollTop - bottom) > 0.5) scrollTo(bottom);
      return;
    }
    const a = anchor.current;
    if (a === null || performance.now() - lastUserScroll.current < USER_SCROLL_QUIET_MS) return;
    const index = findRow(ids, a.id, a.index);
    const target = index === -1 ? 0 : (offsets[index] as number) + a.delta;
    if (Math.abs(el.scrollTop - target) > 0.5) scrollTo(target);
  });

  function scrollTo(y: number): void {
    const el = scroller.current;
    if (el === null) return;
    el.scrollTop = y;
    ownScroll.current = el.scrollTop;
  }

  // Rows and the viewport resize (fonts, window width, a new line of a textarea).
  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            const el = scroller.current;
            if (el) setViewport(el.clientHeight);
            setVersion((v) => v + 1);
          }),
    [],
  );
  useEffect(() => {
    const el = scroller.current;
    if (el && observer) observer.observe(el);
    return () => observer?.disconnect();
  }, [observer]);

  const rowRef = useCallback(
    (id: number) => (el: HTMLLIElement | null) => {
      if (el) {
        rows.set(id, el);
        observer?.observe(el);
      } else {
        const old = rows.get(id);
        if (old) observer?.unobserve(old);
        rows.delete(id);
      }
    },
    [rows, observer],
  );
  const refs = useRef(new Map<number, (el: HTMLLIElement | null) => void>()).current;
  const refFor = (id: number) => {
    let ref = refs.get(id);
    if (ref === undefined) {
      ref = rowRef(id);
      refs.set(id, ref);
    }
    return ref;
  };
  // Forget the refs and heights of entries that are gone (cleared, or dropped by the cap).
  useEffect(() => {
    if (refs.size > 2 * (end - start) + 200) {
      const live = new Set(ids.slice(start, end));
      for (const id of refs.keys()) if (!live.has(id)) refs.delete(id);
    }
    if (heights.size > ids.length + 1000) {
      const present = new Set(ids);
      for (const id of heights.keys()) if (!present.has(id)) heights.delete(id);
    }
  }, [ids, start, end, refs, heights]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el === null) return;
    const y = el.scrollTop;
    if (ownScroll.current !== null && Math.abs(ownScroll.current - y) < 1) ownScroll.current = null;
    else lastUserScroll.current = performance.now();
    const atBottom = el.scrollHeight - y - el.clientHeight <= BOTTOM_SLACK;
    if (atBottom !== followingRef.current) setFollow(atBottom);
    const { ids: currentIds, offsets: currentOffsets } = layout.current;
    const index = rowAt(currentOffsets, y);
    anchor.current =
      index === -1 ? null : { id: currentIds[index] as number, index, delta: y - (currentOffsets[index] as number) };
    setScrollTop(y);
  }, [setFollow]);

  // Scrolling up by wheel, touch or keys stops following at once (before the scroll event),
  // so that a busy room cannot pull the view back down under the reader.
  const stopFollowing = useCallback(() => {
    const el = scroller.current;
    if (el && followingRef.current && el.scrollHeight > el.clientHeight) {
      followingRef.current = false;
      onScroll();
    }
  }, [onScroll]);
  const onWheel = useCallback((e: WheelEvent) => e.deltaY < 0 && stopFollowing(), [stopFollowing]);
  const jumpToNewest = useCallback(() => {
    setFollow(true);
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [setFollow]);

  const onKeyDown = useCallback(
    (e: KeyboardEvent) => {
      if (e.target !== e.currentTarget || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'Home') {
        // At once rather than animated: the rows on the way are not worth rendering.
        e.preventDefault();
        stopFollowing();
        const el = scroller.current;
        if (el) el.scrollTop = 0;
      } else if (e.key === 'End') {
        e.preventDefault();
        jumpToNewest();
      } else if (['ArrowUp', 'PageUp'].includes(e.key)) {
        stopFollowing();
      }
    },
    [stopFollowing, jumpToNewest],
  );

  return (
    <div className="messages-frame">
      <section
        ref={scroller}
        className="messages"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it
        tabIndex={0}
        aria-label={label}
        onScroll={onScroll}
        onWheel={onWheel}
        onTouchMove={stopFollowing}
        onKeyDown={onKeyDown}
      >
        {dropped > 0 && start === 0 && (
          <p className="messages-dropped">
            {dropped.toLocaleString()} older {dropped === 1 ? 'entry is' : 'entries are'} no longer shown
          </p>
        )}
        {entries.length === 0 ? (
          <p className="messages-empty">No messages yet. Say hello!</p>
        ) : (
          <ol
            className="message-rows"
            style={{ paddingTop: offsets[start], paddingBottom: total - (offsets[end] ?? total) }}
          >
            {entries.slice(start, end).map((entry, i) => (
              <Row
                key={entry.id}
                entry={entry}
                position={start + i + 1}
                count={entries.length}
                rowRef={refFor(entry.id)}
              />
            ))}
          </ol>
        )}
      </section>
      {!following && (
        <button type="button" className="jump-newest" onClick={jumpToNewest}>
          {unseen > 0 ? `${unseen.toLocaleString()} new ${unseen === 1 ? 'entry' : 'entries'}` : 'Newest'}
          <span aria-hidden="true"> ↓</span>
        </button>
      )}
    </div>
  );
}

interface RowProps {
  entry: Entry;
  position: number;
  count: number;
  rowRef: (el: HTMLLIElement | null) => void;
}

const Row = memo(function Row({ entry, position, count, rowRef }: RowProps) {
  const time = (
    <time className="time" dateTime={new Date(entry.time).toISOString()} title={formatFullTime(entry.time)}>
      {formatTime(entry.time)}
    </time>
  );
  if (entry.kind === 'notice') {
    return (
      <li ref={rowRef} className={`row notice tone-${entry.tone}`} aria-posinset={position} aria-setsize={count}>
        {time}
        <div className="notice-body">
          <span className="notice-text">{entry.text}</span>
          {entry.detail !== undefined && <pre className="notice-detail">{entry.detail}</pre>}
        </div>
      </li>
    );
  }
  if (entry.server) {
    return (
      <li
        ref={rowRef}
        className={`row message announcement${entry.source !== 'live' ? ' past' : ''}`}
        aria-posinset={position}
        aria-setsize={count}
      >
        {time}
        <div className="message-body">
          <span className="announcement-badge">Server</span>
          <span className="author">{entry.username}</span>
          <span className="visually-hidden">announces: </span>
          <span className="text">{entry.text}</span>
        </div>
      </li>
    );
  }
  return (
    <li
      ref={rowRef}
      className={`row message${entry.own ? ' own' : ''}${entry.source !== 'live' ? ' past' : ''}`}
      aria-posinset={position}
      aria-setsize={count}
    >
      {time}
      <div className="message-body">
        <span className={`author name-${nameColor(entry.username)}`}>{entry.username}</span>
        {entry.own && <span className="you-badge">you</span>}
        <span className="visually-hidden">: </span>
        <span className="text">{entry.text}</span>
      </div>
    </li>
  );
});

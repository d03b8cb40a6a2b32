/**
 * The directory's rows, virtualised: only the rows in view plus OVERSCAN_ROWS above and
 * below are in the DOM (spacer rows stand for the others), whatever the number loaded.
 * Rows have one height (CSS keeps each on one line, or two on a narrow screen), measured
 * from a rendered row. The rows in view are reported to the monitor (`setVisible`), which
 * pings them and loads the next page as the end comes near. The arithmetic is
 * `rowWindow` (directory.ts).
 */
import { type ReactNode, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ListedServer } from '../../../src/client/index.js';
import { ariaSort, rowsInView, rowWindow, sortForColumn } from './directory.js';
import type { DirectoryMonitor, DirectorySnapshot } from './directory-monitor.js';

export const OVERSCAN_ROWS = 8;
const DEFAULT_ROW_HEIGHT = 52;

export interface DirectoryTableProps {
  monitor: DirectoryMonitor;
  snap: DirectorySnapshot;
  renderRow: (server: ListedServer, rowIndex: number) => ReactNode;
  /** Shown in the table's body when there is no row. */
  empty: string | null;
}

export function DirectoryTable({ monitor, snap, renderRow, empty }: DirectoryTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLTableSectionElement>(null);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const [view, setView] = useState({ top: 0, height: 600, head: 40 });
  const [rowHeight, setRowHeight] = useState(DEFAULT_ROW_HEIGHT);
  const frame = useRef(0);
  const count = snap.servers.length;

  const measure = useCallback(() => {
    frame.current = 0;
    const el = scrollRef.current;
    if (!el) return;
    const head = headRef.current?.offsetHeight ?? 0;
    setView((v) =>
      v.top === el.scrollTop && v.height === el.clientHeight && v.head === head
        ? v
        : { top: el.scrollTop, height: el.clientHeight, head },
    );
  }, []);
  const onScroll = useCallback(() => {
    if (frame.current === 0) frame.current = requestAnimationFrame(measure);
  }, [measure]);
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    measure();
    const observer = new ResizeObserver(() => measure());
    observer.observe(el);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, [measure]);

  // The answer to a new query starts at the top (a refresh of the same query stays put).
  const shownQuery = useRef(snap.query);
  useEffect(() => {
    if (snap.loading || shownQuery.current === snap.query) return;
    shownQuery.current = snap.query;
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [snap.loading, snap.query]);

  const top = Math.max(0, view.top - view.head);
  const viewport = Math.max(0, view.height - view.head);
  const [start, end] = rowWindow(top, viewport, rowHeight, count, OVERSCAN_ROWS);
  const [firstInView, endInView] = rowsInView(top, viewport, rowHeight, count);

  useEffect(() => monitor.setVisible(firstInView, endInView), [monitor, firstInView, endInView]);

  // One row's height, measured once rows are rendered (it changes with the layout).
  useLayoutEffect(() => {
    const row = bodyRef.current?.querySelector<HTMLElement>('tr[data-server-id]');
    if (row && row.offsetHeight > 0 && row.offsetHeight !== rowHeight) setRowHeight(row.offsetHeight);
  });

  const sort = snap.query.sort;
  const sortBy = (column: 'name' | 'users') => monitor.setQuery({ sort: sortForColumn(column, sort) });

  return (
    <div className="servers-scroll" ref={scrollRef} onScroll={onScroll}>
      <table className="servers" aria-rowcount={snap.more ? -1 : count + 1} aria-busy={snap.loading}>
        <caption className="visually-hidden">Chat servers</caption>
        <thead ref={headRef}>
          <tr aria-rowindex={1}>
            <SortHeader label="Name" column="name" sort={sort} onSort={sortBy} className="col-name" />
            <th scope="col" className="col-address">
              Address
            </th>
            <SortHeader label="Users" column="users" sort={sort} onSort={sortBy} className="col-users" />
            <th scope="col" className="col-ping">
              Ping
            </th>
            <th scope="col" className="col-action">
              <span className="visually-hidden">Join</span>
            </th>
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {start > 0 && <Spacer height={start * rowHeight} />}
          {snap.servers.slice(start, end).map((server, i) => renderRow(server, start + i))}
          {end < count && <Spacer height={(count - end) * rowHeight} />}
          {snap.more && (
            <tr className="more">
              <td colSpan={5}>{snap.error ? '' : 'Loading more servers…'}</td>
            </tr>
          )}
          {count === 0 && empty !== null && (
            <tr className="empty">
              <td colSpan={5}>{empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function Spacer({ height }: { height: number }) {
  return (
    <tr className="spacer">
      <td aria-hidden="true" colSpan={5} style={{ height }} />
    </tr>
  );
}

function SortHeader(props: {
  label: string;
  column: 'name' | 'users';
  sort: DirectorySnapshot['query']['sort'];
  onSort: (column: 'name' | 'users') => void;
  className: string;
}) {
  const state = ariaSort(props.column, props.sort);
  return (
    <th scope="col" className={props.className} aria-sort={state}>
      <button type="button" className="sort" onClick={() => props.onSort(props.column)}>
        {props.label}
        <span className="sort-mark" aria-hidden="true">
          {state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  );
}

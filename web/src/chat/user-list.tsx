/**
 * Who is connected, in join order (the server's order), ourselves marked. In a large room
 * (more users than the server announces joins for) the count comes from the server and the
 * names a page at a time: the first page, then "Load more".
 */
import { useState } from 'react';
import { nameColor } from '../lib/format.js';

function formatCount(n: number): string {
  return n.toLocaleString('en');
}

export interface UserListProps {
  users: readonly string[];
  /** How many are connected: in a large room more than `users`. */
  count: number;
  large: boolean;
  /** `users` holds everyone. */
  complete: boolean;
  onLoadMore: () => Promise<void>;
  me: string;
  id: string;
  /** On a narrow screen the list is a panel, open or closed. */
  open: boolean;
  onClose: () => void;
}

export function UserList({ users, count, large, complete, onLoadMore, me, id, open, onClose }: UserListProps) {
  const [loading, setLoading] = useState(false);
  const loadMore = () => {
    setLoading(true);
    void onLoadMore().finally(() => setLoading(false));
  };
  return (
    <aside
      id={id}
      className={`users${open ? ' open' : ''}`}
      aria-labelledby={`${id}-title`}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="users-head">
        <h3 id={`${id}-title`}>
          Users <span className="count">{formatCount(count)}</span>
        </h3>
        {open && (
          <button type="button" className="small users-close" onClick={onClose}>
            Close<span className="visually-hidden"> the user list</span>
          </button>
        )}
      </div>
      {large && (
        <p className="muted users-note">
          {`Showing ${formatCount(users.length)} of ${formatCount(count)}: in a room this large, joins and leaves are not announced.`}
        </p>
      )}
      {users.length === 0 && !large ? (
        <p className="muted">Nobody (not connected)</p>
      ) : (
        <ul>
          {users.map((u) => (
            <li key={u} className={u === me ? 'me' : undefined}>
              <span className={`dot name-bg-${nameColor(u)}`} aria-hidden="true" />
              <span className={`name name-${nameColor(u)}`}>{u}</span>
              {u === me && <span className="you-badge">you</span>}
            </li>
          ))}
        </ul>
      )}
      {large && !complete && (
        <button type="button" className="small users-more" onClick={loadMore} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </aside>
  );
}

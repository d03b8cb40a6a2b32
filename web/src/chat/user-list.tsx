/** Who is connected, in join order (the server's order), ourselves marked. */
import { nameColor } from '../lib/format.js';

export interface UserListProps {
  users: readonly string[];
  me: string;
  id: string;
  /** On a narrow screen the list is a panel, open or closed. */
  open: boolean;
  onClose: () => void;
}

export function UserList({ users, me, id, open, onClose }: UserListProps) {
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
          Users <span className="count">{users.length}</span>
        </h3>
        {open && (
          <button type="button" className="small users-close" onClick={onClose}>
            Close<span className="visually-hidden"> the user list</span>
          </button>
        )}
      </div>
      {users.length === 0 ? (
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
    </aside>
  );
}

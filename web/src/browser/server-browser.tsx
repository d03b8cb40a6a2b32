/**
 * The server browser: the listing's directory (searched, filtered and sorted by the
 * listing, read in pages as the list scrolls) with a live ping, measured from this browser,
 * of the servers in view; joining any server (or any address). On a chat server's page,
 * that server is shown first and preselected.
 */
import { type FormEvent, type RefObject, useEffect, useId, useState, useSyncExternalStore } from 'react';
import { type ListedServer, type ListingSort, listedServerUrl, serverUrl } from '../../../src/client/index.js';
import { formatRtt, formatTime } from '../lib/format.js';
import { homeWsUrl } from '../lib/where.js';
import { isFull, type PingState, SORT_CHOICES } from './directory.js';
import type { DirectoryMonitor, DirectorySnapshot } from './directory-monitor.js';
import { DirectoryTable } from './directory-table.js';

export interface JoinTarget {
  url: string;
  label: string;
  /** The server's id, when known (joined from the directory). */
  id?: number;
}

/** The chat this tab is in. */
export interface Joined {
  url: string;
  id: number | undefined;
}

export interface ServerBrowserProps {
  monitor: DirectoryMonitor;
  /** The listing being shown, or null when the page's own origin is the listing. */
  listingUrl: string;
  /** Whether the listing URL can be changed here (not on a listing's own page). */
  listingEditable: boolean;
  onListingUrlChange: (url: string) => string | null;
  name: string;
  onNameChange: (name: string) => void;
  nameError: string | null;
  joining: string | null;
  joinError: string | null;
  onJoin: (target: JoinTarget) => void;
  /** The chat this tab is in, if any: its server's row offers "Open chat". */
  joined: Joined | null;
  onOpenChat: () => void;
  nameInputRef: RefObject<HTMLInputElement | null>;
}

const secure = () => window.location.protocol === 'https:';

/** The line under the controls: what is shown, and how fresh. */
function statusLine(snap: DirectorySnapshot): string {
  if (snap.error !== null && snap.servers.length === 0) return '';
  if (snap.loading && snap.updatedAt === null) return 'Loading the directory…';
  if (snap.loading) return 'Searching…';
  const n = snap.servers.length;
  const what = snap.more
    ? `${n.toLocaleString()} servers shown, more as you scroll`
    : `${n.toLocaleString()} ${n === 1 ? 'server' : 'servers'}`;
  const updated = snap.updatedAt ? ` · updated ${formatTime(snap.updatedAt)}` : '';
  return `${what}${updated} · the servers in view are pinged every 15 s`;
}

function emptyText(snap: DirectorySnapshot): string | null {
  if (snap.loading) return null;
  if (snap.error !== null) return 'No directory to show.';
  const { q, notFull, notEmpty } = snap.query;
  return q.trim() !== '' || notFull || notEmpty ? 'No server matches.' : 'No servers are listed yet.';
}

export function ServerBrowser(props: ServerBrowserProps) {
  const { monitor, name, onNameChange, nameError, joinError, nameInputRef } = props;
  const snap = useSyncExternalStore(monitor.subscribe, monitor.getSnapshot);
  const nameId = useId();
  const filterId = useId();
  const { query } = snap;

  return (
    <section className="browser" aria-labelledby="browser-title">
      <h2 id="browser-title" className="visually-hidden">
        Servers
      </h2>

      <div className="identity card">
        <label htmlFor={nameId}>Your name</label>
        <input
          id={nameId}
          ref={nameInputRef}
          value={name}
          onChange={(e) => onNameChange(e.target.value)}
          autoComplete="nickname"
          spellCheck={false}
          maxLength={64}
          placeholder="Pick a name to chat with"
          aria-invalid={nameError !== null}
          aria-describedby={`${nameId}-help ${nameId}-error`}
        />
        <p id={`${nameId}-help`} className="hint">
          1–16 characters, no “;”. Shown to everyone on the server you join.
        </p>
        <p id={`${nameId}-error`} className="field-error" role="alert">
          {nameError ?? joinError ?? ''}
        </p>
      </div>

      {snap.home && <HomeCard home={snap.home} ping={snap.pings.get(snap.home.address)} {...props} />}

      <div className="directory card">
        <div className="directory-head">
          <h3>Directory</h3>
          <ListingField {...props} />
        </div>

        <div className="directory-controls">
          <div className="field">
            <label htmlFor={filterId}>Search</label>
            <input
              id={filterId}
              type="search"
              value={query.q}
              onChange={(e) => monitor.setQuery({ q: e.target.value })}
              placeholder="Name or address"
              maxLength={100}
              spellCheck={false}
            />
          </div>
          <div className="field">
            <label htmlFor={`${filterId}-sort`}>Sort by</label>
            <select
              id={`${filterId}-sort`}
              value={query.sort}
              onChange={(e) => monitor.setQuery({ sort: e.target.value as ListingSort })}
            >
              {SORT_CHOICES.map((choice) => (
                <option key={choice.sort} value={choice.sort}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
          <FilterCheck monitor={monitor} filter="notFull" checked={query.notFull} label="Hide full servers" />
          <FilterCheck monitor={monitor} filter="notEmpty" checked={query.notEmpty} label="Hide empty servers" />
          <button type="button" onClick={() => void monitor.refresh(true)}>
            Refresh
          </button>
        </div>

        <p className="directory-status" role="status">
          {statusLine(snap)}
        </p>
        {snap.error && (
          <p className="directory-error" role="alert">
            Could not read the directory at <span className="mono">{props.listingUrl}</span>: {snap.error}
            {props.listingEditable && '. Is a listing server running there? Its address can be changed above.'}
          </p>
        )}

        <DirectoryTable
          monitor={monitor}
          snap={snap}
          empty={emptyText(snap)}
          renderRow={(server, index) => (
            <ServerRow
              key={server.id}
              server={server}
              rowIndex={index}
              ping={snap.pings.get(server.address)}
              {...props}
              home={snap.home}
            />
          )}
        />
      </div>

      <JoinByAddress {...props} />
    </section>
  );
}

function FilterCheck(props: {
  monitor: DirectoryMonitor;
  filter: 'notFull' | 'notEmpty';
  checked: boolean;
  label: string;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.monitor.setQuery({ [props.filter]: e.target.checked })}
      />
      {props.label}
    </label>
  );
}

function PingCell({ ping }: { ping: PingState | undefined }) {
  if (ping === undefined || ping.status === 'pending') {
    return <span className="ping pending">measuring…</span>;
  }
  if (ping.status === 'failed') {
    return (
      <span className="ping failed" title={ping.error}>
        no answer<span className="visually-hidden"> ({ping.error})</span>
      </span>
    );
  }
  const speed = ping.rttMs < 50 ? 'fast' : ping.rttMs < 150 ? 'ok' : 'slow';
  return (
    <span className={`ping ${speed}`} data-rtt={ping.rttMs.toFixed(3)}>
      {formatRtt(ping.rttMs)}
    </span>
  );
}

function JoinButton(props: ServerBrowserProps & { server: ListedServer; url: string | null; primary?: boolean }) {
  const { server, url, joining, joined } = props;
  // The same server may be listed under another address than the one joined (localhost vs 127.0.0.1).
  if (joined !== null && (joined.id === server.id || (url !== null && url === joined.url))) {
    return (
      <button type="button" className={props.primary ? 'primary' : undefined} onClick={props.onOpenChat}>
        Open chat<span className="visually-hidden"> in {server.displayName}</span>
      </button>
    );
  }
  const busy = url !== null && joining === url;
  return (
    <button
      type="button"
      className={props.primary ? 'primary' : undefined}
      disabled={url === null || joining !== null || isFull(server)}
      aria-busy={busy}
      onClick={() => url && props.onJoin({ url, label: server.displayName, id: server.id })}
    >
      {busy ? 'Joining…' : isFull(server) ? 'Full' : 'Join'}
      <span className="visually-hidden"> {server.displayName}</span>
    </button>
  );
}

function ServerRow(
  props: ServerBrowserProps & {
    server: ListedServer;
    ping: PingState | undefined;
    rowIndex: number;
    home: ListedServer | null;
  },
) {
  const { server, ping } = props;
  // wss:// for a TLS server (the entry's `tls`), or for every server from an HTTPS page.
  const url = listedServerUrl(server, secure());
  const isHome = props.home !== null && props.home.id === server.id;
  return (
    <tr className={isHome ? 'home' : undefined} data-server-id={server.id} aria-rowindex={props.rowIndex + 2}>
      <th scope="row" className="col-name" title={server.displayName}>
        <span className="server-name">{server.displayName}</span>
        {isHome && <span className="badge">this server</span>}
      </th>
      <td className="col-address mono">
        {server.address}
        {server.tls && <TlsBadge />}
      </td>
      <td className="col-users">
        <span className={isFull(server) ? 'full' : undefined}>
          {server.connectedUsers}
          <span className="muted"> / {server.maxUsers}</span>
        </span>
        <span className="visually-hidden"> users</span>
      </td>
      <td className="col-ping">
        <PingCell ping={ping} />
      </td>
      <td className="col-action">
        <JoinButton {...props} server={server} url={url} />
      </td>
    </tr>
  );
}

/** Marks a server that speaks TLS only: joined and pinged over wss://. */
function TlsBadge() {
  return (
    <span className="badge tls" title="This server speaks TLS: joined over wss://">
      TLS<span className="visually-hidden"> (joined over wss://)</span>
    </span>
  );
}

function HomeCard(props: ServerBrowserProps & { home: ListedServer; ping: PingState | undefined }) {
  const { home, ping } = props;
  const url = homeWsUrl();
  return (
    <section className="home-card card" aria-labelledby="home-title">
      <div>
        <p className="eyebrow">This server</p>
        <h3 id="home-title">{home.displayName}</h3>
        <p className="home-facts">
          <span>
            {home.connectedUsers} / {home.maxUsers} users
          </span>
          <span>
            ping <PingCell ping={ping} />
          </span>
          <span className="mono">{home.address}</span>
        </p>
      </div>
      <JoinButton {...props} server={home} url={url} primary />
    </section>
  );
}

function ListingField(props: ServerBrowserProps) {
  const [draft, setDraft] = useState(props.listingUrl);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  // Show the address as it is used once accepted (`localhost:8080` → `http://localhost:8080`).
  useEffect(() => setDraft(props.listingUrl), [props.listingUrl]);
  if (!props.listingEditable) {
    return (
      <p className="listing-origin">
        from this listing, <span className="mono">{props.listingUrl}</span>
      </p>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(props.onListingUrlChange(draft));
  };
  return (
    <form className="listing-form" onSubmit={submit}>
      <label htmlFor={id}>Listing server</label>
      <input
        id={id}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        inputMode="url"
        spellCheck={false}
        aria-invalid={error !== null}
        aria-describedby={`${id}-error`}
      />
      <button type="submit">Use</button>
      <p id={`${id}-error`} className="field-error" role="alert">
        {error ?? ''}
      </p>
    </form>
  );
}

function JoinByAddress(props: ServerBrowserProps) {
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const url = serverUrl(address, secure());
    if (url === null) {
      setError('Enter host:port (for example localhost:5000) or a ws:// or wss:// URL');
      return;
    }
    setError(null);
    props.onJoin({ url, label: address.trim() });
  };
  return (
    <form className="join-address card" onSubmit={submit}>
      <label htmlFor={id}>Join a server by address</label>
      <div className="inline">
        <input
          id={id}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          placeholder="host:port or ws://host:port"
          inputMode="url"
          spellCheck={false}
          aria-invalid={error !== null}
          aria-describedby={`${id}-error`}
        />
        <button type="submit" disabled={props.joining !== null}>
          Join
        </button>
      </div>
      <p id={`${id}-error`} className="field-error" role="alert">
        {error ?? ''}
      </p>
    </form>
  );
}

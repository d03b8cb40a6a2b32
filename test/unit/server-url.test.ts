/** The one rule that turns a server's address into the URL to dial (src/client/server-url.ts). */
import { describe, expect, it } from 'vitest';
import { chatTarget, chatUrl } from '../../src/cli/chat-command.js';
import { checkServerUrl, listedServerUrl, parseServerUrl, serverUrl } from '../../src/client/server-url.js';

describe('serverUrl', () => {
  it('turns host:port, [v6]:port and ws(s):// URLs into one canonical URL', () => {
    expect(serverUrl('127.0.0.1:5000')).toBe('ws://127.0.0.1:5000');
    expect(serverUrl(' localhost:5000 ')).toBe('ws://localhost:5000');
    expect(serverUrl('Example.COM:80')).toBe('ws://example.com');
    expect(serverUrl('[::1]:5000')).toBe('ws://[::1]:5000');
    expect(serverUrl('chat.example.org:443', true)).toBe('wss://chat.example.org');
    expect(serverUrl('ws://127.0.0.1:5000')).toBe('ws://127.0.0.1:5000');
    expect(serverUrl('ws://host:1/')).toBe('ws://host:1');
    expect(serverUrl('WSS://chat.example:443/')).toBe('wss://chat.example');
    expect(serverUrl('ws://host:1/room?x=1#frag')).toBe('ws://host:1/room?x=1');
  });

  it('gives two spellings of one server the same URL', () => {
    expect(serverUrl('LOCALHOST:5000')).toBe(serverUrl('ws://localhost:5000/'));
    expect(serverUrl('[0:0::1]:5000')).toBe(serverUrl('[::1]:5000'));
  });

  it('refuses anything else, with a reason', () => {
    for (const bad of [
      '',
      '127.0.0.1',
      'localhost',
      'host:',
      ':5000',
      'host:port',
      'host:5000/path',
      'host:5000?x',
      'http://h:1/',
      '::1:5000',
      '[::1:5000',
      'a b:1',
      'u@h:1',
      'ws://u:p@h:1/',
      'ws://',
    ]) {
      expect(serverUrl(bad), bad).toBeNull();
      const parsed = parseServerUrl(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason, bad).toMatch(/^".*" (is not|has)/);
    }
  });
});

describe('checkServerUrl (what C2Client.connect takes)', () => {
  it('accepts ws and wss URLs only', () => {
    expect(checkServerUrl('ws://localhost:5000')).toBeNull();
    expect(checkServerUrl('wss://chat.example:443/')).toBeNull();
    expect(checkServerUrl('http://localhost:5000')).toMatch(/not a WebSocket URL/);
    expect(checkServerUrl('localhost:5000')).toMatch(/not a WebSocket URL|not a URL/);
    expect(checkServerUrl('nonsense')).toMatch(/not a URL/);
    expect(checkServerUrl('ws://u:p@h:1/')).toMatch(/user name or password/);
  });
});

describe('listedServerUrl: a listing entry → the URL to dial (contract §7 tls)', () => {
  it('wss:// for an entry with tls, ws:// otherwise, or wss:// when the page asks for it', () => {
    expect(listedServerUrl({ address: '127.0.0.1:5000', tls: true })).toBe('wss://127.0.0.1:5000');
    expect(listedServerUrl({ address: '[2001:db8::1]:443', tls: true })).toBe('wss://[2001:db8::1]');
    expect(listedServerUrl({ address: 'chat.example.org:5000', tls: false })).toBe('ws://chat.example.org:5000');
    // An entry from a listing older than the property: no tls, ws://.
    expect(listedServerUrl({ address: 'chat.example.org:5000' })).toBe('ws://chat.example.org:5000');
    // A page served over HTTPS may not open ws://: wss:// whatever the entry says.
    expect(listedServerUrl({ address: 'chat.example.org:5000', tls: false }, true)).toBe('wss://chat.example.org:5000');
    // The address is host:port, never a URL with its own scheme.
    expect(listedServerUrl({ address: 'ws://chat.example.org:5000', tls: true })).toBeNull();
    expect(listedServerUrl({ address: 'nonsense', tls: true })).toBeNull();
  });
});

describe('c2 chat <url>', () => {
  it('a canonical integer is a server id to find in the listing; anything else is an address', () => {
    expect(chatTarget('1801')).toEqual({ id: 1801 });
    expect(chatTarget('0')).toEqual({ id: 0 });
    expect(chatTarget('127.0.0.1:5000')).toEqual({ url: 'ws://127.0.0.1:5000' });
    expect(() => chatTarget('0042')).toThrow(/not host:port/);
  });

  it('dials what the rule gives, and refuses with its reason', () => {
    expect(chatUrl('127.0.0.1:5000')).toBe('ws://127.0.0.1:5000');
    expect(chatUrl('ws://127.0.0.1:5000')).toBe('ws://127.0.0.1:5000');
    expect(() => chatUrl('http://127.0.0.1:5000')).toThrow(
      '"http://127.0.0.1:5000" is not a WebSocket URL; expected ws://host:port or wss://host:port.',
    );
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
afterEach(() => chat.close());

describe('MSG', () => {
  it('reaches everyone, sender included, with the trailing text intact', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next(); // bob's join
    alice.send('c2/MSG hello; and; more');
    expect(await alice.next()).toBe('c2/MSG alice; hello; and; more');
    expect(await bob.next()).toBe('c2/MSG alice; hello; and; more');
    bob.send('c2/MSG multi\nline\ttext 😀');
    expect(await alice.next()).toBe('c2/MSG bob; multi\nline\ttext 😀');
    expect(await bob.next()).toBe('c2/MSG bob; multi\nline\ttext 😀');
  });

  it('refuses invalid text without broadcasting it', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next();
    for (const bad of [
      'c2/MSG',
      'c2/MSG ',
      'c2/MSG    ',
      'c2/MSG a\rb',
      'c2/MSG a\u0000',
      `c2/MSG ${'x'.repeat(2001)}`,
    ]) {
      alice.send(bad);
      expect(await alice.next(), JSON.stringify(bad.slice(0, 20))).toMatch(/^c2\/ERROR /);
    }
    alice.send(`c2/MSG ${'x'.repeat(2000)}`);
    expect(await alice.next()).toBe(`c2/MSG alice; ${'x'.repeat(2000)}`);
    expect(await bob.next()).toBe(`c2/MSG alice; ${'x'.repeat(2000)}`);
  });

  it('enforces the flood limit: a burst of 10, then ERROR, nothing broadcast past it', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next();
    for (let i = 0; i < 15; i++) alice.send(`c2/MSG m${i}`);
    const replies = await alice.take(15);
    expect(replies.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `c2/MSG alice; m${i}`));
    for (const r of replies.slice(10)) expect(r).toMatch(/^c2\/ERROR \[flood\] too many messages/);
    expect(await bob.take(10)).toEqual(Array.from({ length: 10 }, (_, i) => `c2/MSG alice; m${i}`));
    await bob.quiet();
    // Bob's own allowance is untouched by Alice's flood.
    bob.send('c2/MSG still here');
    expect(await bob.next()).toBe('c2/MSG bob; still here');
    // Tokens come back at 5 a second.
    await new Promise((r) => setTimeout(r, 450));
    alice.send('c2/MSG again');
    expect(await alice.until((f) => f.startsWith('c2/MSG alice'))).toBe('c2/MSG alice; again');
  });
});

describe('the ordering promise (contract §4)', () => {
  it('answers a pipelined burst in request order, with others’ broadcasts only between responses', async () => {
    chat = await withChatServer({ limits: { floodRatePerSecond: 10_000, floodBurst: 10_000 } });
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next();

    // Bob chats concurrently so his broadcasts interleave with Alice's responses.
    for (let i = 0; i < 50; i++) bob.send(`c2/MSG b${i}`);
    const requests: Array<[string, RegExp]> = [];
    for (let i = 0; i < 50; i++) {
      requests.push([`c2/MSG a${i}`, new RegExp(`^c2/MSG alice; a${i}$`)]);
      requests.push(['c2/PING 42', /^c2\/PING 42; 7$/]);
      requests.push(['c2/QUERY nope', /^c2\/ERROR \[unknown_query\] unknown query/]);
      requests.push(['c2/QUERY active_users', /^c2\/ACKNOWLEDGE \["alice","bob"\]$/]);
      requests.push(['c2/UPDATE colour; red', /^c2\/ERROR \[unknown_property\] unknown property/]);
    }
    for (const [frame] of requests) alice.send(frame);

    const responses: string[] = [];
    const fromBob: string[] = [];
    while (responses.length < requests.length) {
      const frame = await alice.next();
      if (frame.startsWith('c2/MSG bob; ')) fromBob.push(frame);
      else responses.push(frame);
    }
    requests.forEach(([frame, expected], i) => {
      expect(responses[i], `response ${i} to ${frame}`).toMatch(expected);
    });
    while (fromBob.length < 50) fromBob.push(await alice.until((f) => f.startsWith('c2/MSG bob; ')));
    expect(fromBob).toEqual(Array.from({ length: 50 }, (_, i) => `c2/MSG bob; b${i}`));
  });
});

describe('a message the store cannot write', () => {
  it('is sent to nobody, its sender gets ERROR, and the sequence goes on without a gap', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next(); // bob's join
    const store = chat.server.store;
    const append = store.appendMessages.bind(store);
    store.appendMessages = () => {
      throw new Error('disk full');
    };
    alice.send('c2/MSG lost 1');
    alice.send('c2/MSG lost 2');
    expect(await alice.next()).toMatch(/^c2\/ERROR .*could not store your message/);
    expect(await alice.next()).toMatch(/^c2\/ERROR .*could not store your message/);
    store.appendMessages = append;
    alice.send('c2/MSG kept');
    expect(await alice.next()).toBe('c2/MSG alice; kept');
    // Bob got nothing of the lost ones: the kept message is the next frame he sees.
    expect(await bob.next()).toBe('c2/MSG alice; kept');
    bob.send('c2/QUERY history');
    const history = JSON.parse((await bob.next()).slice('c2/ACKNOWLEDGE '.length)) as Array<{ seq: number }>;
    expect(history).toEqual([{ seq: 1, username: 'alice', text: 'kept', time: expect.any(Number) }]);
  });
});

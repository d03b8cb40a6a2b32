import { describe, expect, it } from 'vitest';
import { formatAnswer, parseInput, splitName, splitQuery } from '../../src/client/slash.js';

describe('parseInput', () => {
  it('tells messages, commands and nothing apart', () => {
    expect(parseInput('')).toEqual({ kind: 'empty' });
    expect(parseInput('  \n\t')).toEqual({ kind: 'empty' });
    expect(parseInput('hello')).toEqual({ kind: 'message', text: 'hello' });
    expect(parseInput('  spaced  ')).toEqual({ kind: 'message', text: '  spaced  ' });
    expect(parseInput('a\nb')).toEqual({ kind: 'message', text: 'a\nb' });
    expect(parseInput('/nick  Bob ')).toEqual({ kind: 'command', name: 'nick', rest: 'Bob' });
    expect(parseInput('/USERS')).toEqual({ kind: 'command', name: 'users', rest: '' });
    expect(parseInput('/')).toEqual({ kind: 'command', name: '', rest: '' });
    expect(parseInput('/ban bob spamming\nagain')).toEqual({
      kind: 'command',
      name: 'ban',
      rest: 'bob spamming\nagain',
    });
  });

  it('sends a line starting with // as a message starting with /', () => {
    expect(parseInput('//shrug')).toEqual({ kind: 'message', text: '/shrug' });
    expect(parseInput('// two')).toEqual({ kind: 'message', text: '/ two' });
  });
});

describe('argument splitting', () => {
  it('takes a quoted name or the first word', () => {
    expect(splitName('bob')).toEqual(['bob', '']);
    expect(splitName('bob  go away ')).toEqual(['bob', 'go away']);
    expect(splitName('"Mary Ann" be nice')).toEqual(['Mary Ann', 'be nice']);
    expect(splitName('')).toEqual(['', '']);
  });

  it('splits /query on "; " like the wire, or a command and one argument', () => {
    expect(splitQuery('history; 5')).toEqual(['history', ['5']]);
    expect(splitQuery('ban; bob; a; b')).toEqual(['ban', ['bob', 'a', 'b']]);
    expect(splitQuery('history 5')).toEqual(['history', ['5']]);
    expect(splitQuery('server_info')).toEqual(['server_info', []]);
  });

  it('formats answers: text as is, JSON pretty-printed', () => {
    expect(formatAnswer('ok')).toBe('ok');
    expect(formatAnswer({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});

import { describe, expect, it } from 'vitest';
import { InputHistory } from '../../src/client/input-history.js';

describe('InputHistory', () => {
  it('walks back and forth, keeping the draft', () => {
    const h = new InputHistory();
    h.push('one');
    h.push('two');
    h.push('two');
    expect(h.size).toBe(2);
    expect(h.up('draft')).toBe('two');
    expect(h.up('two')).toBe('one');
    expect(h.up('one')).toBeNull();
    expect(h.down()).toBe('two');
    expect(h.down()).toBe('draft');
    expect(h.down()).toBeNull();
  });

  it('is bounded', () => {
    const h = new InputHistory(3);
    for (const l of ['a', 'b', 'c', 'd']) h.push(l);
    expect(h.size).toBe(3);
    expect([h.up(''), h.up(''), h.up(''), h.up('')]).toEqual(['d', 'c', 'b', null]);
  });

  it('skips blank lines and repeats, and bounds its size', () => {
    const history = new InputHistory(3);
    for (const line of ['a', 'a', '  ', 'b', 'c', 'd']) history.push(line);
    expect(history.size).toBe(3);
    expect([history.up(''), history.up(''), history.up(''), history.up('')]).toEqual(['d', 'c', 'b', null]);
    expect([history.down(), history.down(), history.down(), history.down()]).toEqual(['c', 'd', '', null]);
  });
});

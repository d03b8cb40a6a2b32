import { describe, expect, it } from 'vitest';
import { InputHistory } from '../../web/src/chat/input-history.js';

describe('InputHistory', () => {
  it('walks back and forth, keeping the draft', () => {
    const h = new InputHistory();
    h.add('one');
    h.add('two');
    h.add('two');
    expect(h.size).toBe(2);
    expect(h.previous('draft')).toBe('two');
    expect(h.previous('two')).toBe('one');
    expect(h.previous('one')).toBeNull();
    expect(h.next()).toBe('two');
    expect(h.next()).toBe('draft');
    expect(h.next()).toBeNull();
  });

  it('is bounded', () => {
    const h = new InputHistory(3);
    for (const l of ['a', 'b', 'c', 'd']) h.add(l);
    expect(h.size).toBe(3);
    expect([h.previous(''), h.previous(''), h.previous(''), h.previous('')]).toEqual(['d', 'c', 'b', null]);
  });
});

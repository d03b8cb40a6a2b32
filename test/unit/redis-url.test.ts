import { describe, expect, it } from 'vitest';
import { redactRedisUrl } from '../../src/server/engine/redis.js';

describe('redactRedisUrl (the --cluster URL in logs and errors)', () => {
  it('hides the password, keeps the rest', () => {
    expect(redactRedisUrl('redis://:hunter2@10.0.0.20:6379/0')).toBe('redis://:***@10.0.0.20:6379/0');
    expect(redactRedisUrl('rediss://c2:hunter2@redis.example.org:6380')).toBe('rediss://c2:***@redis.example.org:6380');
  });
  it('leaves a URL without a password as it is', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('redis://c2@127.0.0.1:6379/2')).toBe('redis://c2@127.0.0.1:6379/2');
  });
});

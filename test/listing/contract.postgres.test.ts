/**
 * The listing contract suite (contract §7) against the PostgreSQL store, each listing on
 * a fresh schema. Skipped with a notice when PostgreSQL is unreachable, unless
 * C2_REQUIRE_POSTGRES=1, which turns that into a failure.
 */
import { describe, it } from 'vitest';
import { POSTGRES_URL, postgresBackend, postgresGate } from './helpers/backends.js';
import { contractSuite } from './suite/index.js';

const gate = await postgresGate();
if (gate.run) {
  contractSuite(postgresBackend);
} else if (gate.required) {
  describe('listing contract [postgres]', () => {
    it('needs PostgreSQL (C2_REQUIRE_POSTGRES=1)', () => {
      throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable: ${gate.reason}`);
    });
  });
} else {
  describe.skip(`listing contract [postgres] — SKIPPED: PostgreSQL unreachable (${gate.reason})`, () => {
    it('runs when PostgreSQL is reachable', () => {});
  });
}

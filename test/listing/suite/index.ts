/** The whole contract suite; each store's test file runs it. */
import { describe } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { addressPolicySuite } from './address-policy.js';
import { directorySuite } from './directory.js';
import { limitsSuite } from './limits.js';
import { livenessSuite } from './liveness.js';
import { migrationSuite } from './migration.js';
import { opsSuite } from './ops.js';
import { readSuite } from './read.js';
import { registerSuite } from './register.js';
import { tlsSuite } from './tls.js';
import { updateSuite } from './update.js';

export function contractSuite(backend: Backend): void {
  describe(`listing contract [${backend.name}]`, () => {
    registerSuite(backend);
    readSuite(backend);
    updateSuite(backend);
    addressPolicySuite(backend);
    limitsSuite(backend);
    livenessSuite(backend);
    opsSuite(backend);
    directorySuite(backend);
    tlsSuite(backend);
    migrationSuite(backend);
  });
}

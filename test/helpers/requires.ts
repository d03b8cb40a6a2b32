/**
 * Tests that need a program of the system (Chromium, nginx): `describe`, or a visible skip
 * when it is missing; with `C2_REQUIRE_E2E=1` (CI, `.ci/run`) a missing one fails instead.
 */
import { existsSync } from 'node:fs';
import { describe } from 'vitest';

export interface Required {
  /** As people call it: "Chromium", "nginx". */
  name: string;
  path: string;
  /** How to get it: "apt-get install nginx". */
  install: string;
  /** The variable that points at another path. */
  env: string;
}

export function describeRequiring(tool: Required, name: string, body: () => void): void {
  if (existsSync(tool.path)) {
    describe(name, body);
    return;
  }
  if (process.env.C2_REQUIRE_E2E === '1') {
    throw new Error(`C2_REQUIRE_E2E=1 but there is no ${tool.name} at ${tool.path} (${tool.install})`);
  }
  console.warn(`⚠ tests skipped: no ${tool.name} at ${tool.path} (${tool.install}, or set ${tool.env})`);
  describe.skip(name, body);
}

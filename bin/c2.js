#!/usr/bin/env node
// The c2 command line (contract §9). The code lives in dist/, built by `npm run build`
// (run automatically by `npm install`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('c2: the build is missing (dist/). Run `npm install` or `npm run build` first.\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);

/**
 * The files of deploy/ (docs/DEPLOY.md) as the tests run them: as they are, with only their
 * placeholders — the words between two @ — replaced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/', import.meta.url));

/**
 * A file of deploy/ with its placeholders replaced. Every `@NAME@` in it must be given, and
 * every one given must be in it, so a test and the file cannot drift apart unnoticed.
 */
export function deployFile(name: string, values: Record<string, string>): string {
  const text = readFileSync(join(DEPLOY_DIR, name), 'utf8');
  const used = new Set([...text.matchAll(/@([A-Z0-9_]+)@/g)].map((m) => m[1] as string));
  const missing = [...used].filter((p) => !(p in values));
  const unused = Object.keys(values).filter((p) => !used.has(p));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(`deploy/${name}: placeholders not given: [${missing}]; given but not in the file: [${unused}]`);
  }
  return text.replace(/@([A-Z0-9_]+)@/g, (_, p: string) => values[p] as string);
}

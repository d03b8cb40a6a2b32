/**
 * deploy/c2-server.service read as systemd reads it, and its ExecStart run as systemd would
 * run it (docs/DEPLOY.md): the environment is the unit's Environment= lines, then its
 * EnvironmentFile (a file of deploy/ standing in for /etc/c2/server.env), and PATH; nothing
 * is inherited. `${STATE_DIRECTORY}` is the directory StateDirectory= would make.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFile } from './deploy.js';
import { type C2Process, runCommand, type StartedC2, whenReady } from './process.js';
import { tempDir } from './tmp.js';

export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** systemd's PATH for services (systemd.exec(5)); then where this test's node is. */
const SERVICE_PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${dirname(process.execPath)}`;

/** "Section.Key" → its values, in order (a key may repeat). */
export type Unit = Map<string, string[]>;

/** `[Section]` and `Key=value` lines. */
export function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a Key=value line: ${line}`);
    const key = `${section}.${line.slice(0, eq)}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

/** A command line or an Environment= value split into words ("double quotes" group). */
export function words(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);
}

/** The one value of `key`. */
export function one(unit: Unit, key: string): string {
  const values = unit.get(key) ?? [];
  if (values.length !== 1) throw new Error(`${key}: expected one value, found ${values.length}`);
  return values[0] as string;
}

/** An EnvironmentFile: `KEY=value` lines, a value in double quotes taken without them. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${line}`);
    const value = m[2] as string;
    env[m[1] as string] = /^".*"$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

export interface ServiceCommand {
  unit: Unit;
  /** The unit as written for this run (placeholders filled). */
  text: string;
  argv: string[];
  env: Record<string, string>;
}

/**
 * deploy/c2-server.service with @C2_DIR@ this checkout and @C2_PORT@ 0: its ExecStart and
 * the environment systemd would give it, `envFile` (the text of an EnvironmentFile) over the
 * Environment= lines.
 */
export function serviceCommand(stateDirectory: string, envFile?: string): ServiceCommand {
  const text = deployFile('c2-server.service', { C2_DIR: REPO_DIR, C2_PORT: '0' });
  const unit = parseUnit(text);
  const env: Record<string, string> = { PATH: SERVICE_PATH, STATE_DIRECTORY: stateDirectory };
  for (const value of unit.get('Service.Environment') ?? []) {
    for (const assignment of words(value)) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  if (envFile !== undefined) Object.assign(env, parseEnvFile(envFile));
  const argv = words(one(unit, 'Service.ExecStart')).map((w) =>
    w.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? ''),
  );
  return { unit, text, argv, env };
}

/**
 * Runs the unit's ExecStart (a fresh state directory; `envFile` as its EnvironmentFile) and
 * waits for the ready line.
 */
export async function startService(procs: C2Process[], envFile?: string): Promise<StartedC2 & ServiceCommand> {
  const command = serviceCommand(tempDir('c2-unit-state-'), envFile);
  const [file, ...args] = command.argv as [string, ...string[]];
  const proc = runCommand(file, args, command.env);
  procs.push(proc);
  return { ...command, ...(await whenReady(proc)) };
}

/** deploy/c2-node.env with its placeholders filled. */
export function nodeEnvFile(values: { NODE_HOST: string; REDIS_URL: string; OP_PASSWORD: string }): string {
  return deployFile('c2-node.env', values);
}

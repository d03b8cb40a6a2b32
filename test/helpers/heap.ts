import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/** What a heap snapshot of this process holds that is reachable (a snapshot collects garbage first). */
export interface HeapSummary {
  /** How many objects of each of the constructors asked for. */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * Bytes of data: every node but V8's own code and bookkeeping (compiled code, bytecode,
   * deoptimization data, feedback, the dependent-code lists of maps), which grows as the JIT
   * warms up and is not the program's data.
   */
  readonly dataBytes: number;
  /** A file holding the data's bytes and objects by group (constructor, or V8's kind), for {@link heapGrowth}. */
  readonly groupsFile: string;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Writes a heap snapshot of this process into `dir`, summarizes it and deletes it. Kept
 * small on purpose (a few numbers), so that a summary held while the next snapshot is
 * taken does not show up in it: the table by group goes to a file beside it.
 */
export function heapSummary(dir: string, count: readonly string[]): HeapSummary {
  const file = writeHeapSnapshot(join(dir, `heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file, { force: true });
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const counts: Record<string, number> = Object.fromEntries(count.map((name) => [name, 0]));
  const groups = new Map<string, [bytes: number, objects: number]>();
  let dataBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] as string;
    const name = snap.strings[snap.nodes[i + nameAt] as number] as string;
    if (type === 'code' || type === 'hidden' || type === 'synthetic') continue;
    if (type === 'object' && counts[name] !== undefined) counts[name]++;
    const size = snap.nodes[i + sizeAt] as number;
    dataBytes += size;
    const key = type === 'object' || type === 'native' || type === 'closure' ? `${type} ${name}` : `(${type})`;
    const group = groups.get(key) ?? [0, 0];
    group[0] += size;
    group[1]++;
    groups.set(key, group);
  }
  const groupsFile = `${file}.groups.json`;
  writeFileSync(groupsFile, JSON.stringify([...groups]));
  return { counts, dataBytes, groupsFile };
}

/** The groups whose data grew most from `before` to `after`, one line each (for a failure's message). */
export function heapGrowth(before: HeapSummary, after: HeapSummary, top = 12): string {
  const read = (s: HeapSummary) =>
    new Map(JSON.parse(readFileSync(s.groupsFile, 'utf8')) as [string, [number, number]][]);
  const a = read(before);
  const b = read(after);
  return [...new Set([...a.keys(), ...b.keys()])]
    .map((key): [string, number, number] => {
      const [bytesA, objectsA] = a.get(key) ?? [0, 0];
      const [bytesB, objectsB] = b.get(key) ?? [0, 0];
      return [key, bytesB - bytesA, objectsB - objectsA];
    })
    .sort((x, y) => y[1] - x[1])
    .slice(0, top)
    .map(
      ([key, bytes, objects]) =>
        `${key}: ${bytes >= 0 ? '+' : ''}${bytes} B, ${objects >= 0 ? '+' : ''}${objects} objects`,
    )
    .join('\n');
}

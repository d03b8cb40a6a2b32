import { readFileSync, rmSync } from 'node:fs';
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
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Writes a heap snapshot of this process into `dir`, summarizes it and deletes it. Kept
 * small on purpose (a few numbers), so that a summary held while the next snapshot is
 * taken does not show up in it.
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
  let dataBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number];
    const name = snap.strings[snap.nodes[i + nameAt] as number] as string;
    if (type === 'code' || type === 'hidden' || type === 'synthetic') continue;
    if (type === 'object' && counts[name] !== undefined) counts[name]++;
    dataBytes += snap.nodes[i + sizeAt] as number;
  }
  return { counts, dataBytes };
}

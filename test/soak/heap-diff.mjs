#!/usr/bin/env node
// Compares two V8 heap snapshots (.heapsnapshot, as the soak's --snapshot-at writes them, or
// as Chrome DevTools saves them) by constructor: for each constructor name, the number of
// objects and their self size in each, and the difference, largest growth first.
//
//   node test/soak/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top N] [--strings N]
//
// Grouping follows DevTools' summary view: objects by constructor name, closures as
// "(closure) name", strings as "(string)", arrays as "(array)", code as "(compiled code)",
// and so on. `--strings N` also lists the N string values whose count grew most (their
// first 60 characters), which is often what names the leak.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const files = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const top = option('--top', 30);
const stringsTop = option('--strings', 0);
if (files.length !== 2 || !Number.isFinite(top) || !Number.isFinite(stringsTop)) {
  console.error('usage: heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top N] [--strings N]');
  process.exit(2);
}

/** Per group: { count, size }; and per string value (when asked): count. */
function summarize(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = meta.node_types[typeAt];
  const { nodes, strings } = snap;
  const groups = new Map();
  const values = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    const size = nodes[i + sizeAt];
    total += size;
    let key;
    switch (type) {
      case 'object':
      case 'native':
        key = name;
        break;
      case 'closure':
        key = `(closure) ${name || '(anonymous)'}`;
        break;
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        key = '(string)';
        if (stringsTop > 0) values.set(name, (values.get(name) ?? 0) + 1);
        break;
      case 'code':
        key = '(compiled code)';
        break;
      case 'hidden':
        key = `(system) ${name}`;
        break;
      default:
        key = `(${type})${type === 'array' ? ` ${name}` : ''}`;
    }
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.size += size;
    } else groups.set(key, { count: 1, size });
  }
  return { groups, values, total, nodes: nodes.length / width };
}

const [a, b] = files.map(summarize);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const signed = (n, f = String) => (n > 0 ? `+${f(n)}` : n < 0 ? `-${f(-n)}` : '0');
console.log(`before: ${files[0]}: ${a.nodes} objects, ${kb(a.total)}`);
console.log(`after:  ${files[1]}: ${b.nodes} objects, ${kb(b.total)}`);
console.log(`change: ${signed(b.nodes - a.nodes)} objects, ${signed(b.total - a.total, kb)}\n`);

const rows = [];
for (const key of new Set([...a.groups.keys(), ...b.groups.keys()])) {
  const x = a.groups.get(key) ?? { count: 0, size: 0 };
  const y = b.groups.get(key) ?? { count: 0, size: 0 };
  if (x.count === y.count && x.size === y.size) continue;
  rows.push({ key, x, y, dCount: y.count - x.count, dSize: y.size - x.size });
}
rows.sort((p, q) => q.dSize - p.dSize || q.dCount - p.dCount);
const line = (cols) => cols.map((c, i) => (i === 0 ? String(c).padEnd(48) : String(c).padStart(12))).join(' ');
console.log(line(['constructor', 'count before', 'count after', 'Δ count', 'size before', 'size after', 'Δ size']));
for (const r of rows.slice(0, top)) {
  console.log(
    line([r.key.slice(0, 48), r.x.count, r.y.count, signed(r.dCount), kb(r.x.size), kb(r.y.size), signed(r.dSize, kb)]),
  );
}
if (rows.length > top) console.log(`… ${rows.length - top} more constructors changed (--top N shows more)`);

if (stringsTop > 0) {
  const grew = [];
  for (const [value, n] of b.values) {
    const d = n - (a.values.get(value) ?? 0);
    if (d > 0) grew.push([value, d]);
  }
  grew.sort((p, q) => q[1] - p[1]);
  console.log(`\nstring values whose count grew most (${grew.length} grew):`);
  for (const [value, d] of grew.slice(0, stringsTop)) console.log(`  +${d}\t${JSON.stringify(value.slice(0, 60))}`);
}

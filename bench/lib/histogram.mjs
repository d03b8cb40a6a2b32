/**
 * A latency histogram in microseconds: exact below 2,048 µs, then 1,024 buckets per power
 * of two (0.1 % precision) up to 2^31 µs. Recording is a few integer operations; histograms
 * from several processes are merged by adding counts.
 */
const SIZE = 22 * 1024;
const MAX = 2 ** 31 - 1;

function bucketOf(us) {
  if (us < 2048) return us;
  const bits = 31 - Math.clz32(us);
  return (bits - 10) * 1024 + (us >>> (bits - 10));
}

function bucketValue(bucket) {
  if (bucket < 2048) return bucket;
  const bits = Math.floor(bucket / 1024) + 9;
  return (bucket - (bits - 10) * 1024) * 2 ** (bits - 10);
}

/**
 * The latency figures of a round: the generators' histograms (`drains[i].hist`) merged; p50,
 * p99 and max in ms, and how many deliveries were timed.
 */
export function latencyFigures(drains) {
  const hist = new Histogram();
  for (const d of drains) hist.add(d.hist);
  return { timed: hist.n, p50: hist.quantile(0.5) / 1000, p99: hist.quantile(0.99) / 1000, max: hist.max / 1000 };
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.n = 0;
    this.max = 0;
  }

  record(us) {
    const v = us <= 0 ? 0 : us >= MAX ? MAX : Math.round(us);
    this.counts[bucketOf(v)]++;
    this.n++;
    if (v > this.max) this.max = v;
  }

  /** A compact form to send over IPC: [bucket, count, …] for the non-empty buckets. */
  toJSON() {
    const pairs = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i] > 0) pairs.push(i, this.counts[i]);
    return { pairs, n: this.n, max: this.max };
  }

  add(json) {
    for (let i = 0; i < json.pairs.length; i += 2) this.counts[json.pairs[i]] += json.pairs[i + 1];
    this.n += json.n;
    if (json.max > this.max) this.max = json.max;
  }

  /** The value (µs) at quantile q (0…1). */
  quantile(q) {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }
}

// A histogram of loop delays in milliseconds, for a thread's health and its summary. node:perf_hooks'
// createHistogram does the same, but loading it and the first calls into it cost a thread ~3 ms (at its
// first heartbeat and at exit); this is a typed array and a few lines. Buckets are log-linear: 32 per
// power of two (a value is known to within ~3 %), from 1/32 ms up to 2^24 ms (4.6 hours).

const SUB = 32;
const POWERS = 25; // [0, 1) ms, then [2^(e-1), 2^e) for e = 1 … 24
const LAST = POWERS * SUB - 1;

function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  if (ms < 1) return Math.floor(ms * SUB);
  const e = Math.floor(Math.log2(ms)) + 1;
  if (e >= POWERS) return LAST;
  const base = 2 ** (e - 1);
  return e * SUB + Math.min(SUB - 1, Math.floor(((ms - base) / base) * SUB));
}

/** The middle of a bucket. */
function valueOf(bucket: number): number {
  const e = Math.floor(bucket / SUB);
  const sub = bucket % SUB;
  if (e === 0) return (sub + 0.5) / SUB;
  const base = 2 ** (e - 1);
  return base + ((sub + 0.5) * base) / SUB;
}

export class DelayHistogram {
  private readonly counts = new Float64Array(POWERS * SUB);
  count = 0;
  min = 0;
  max = 0;
  private sum = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.counts[bucketOf(v)]! += 1;
    if (this.count === 0 || v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.count++;
    this.sum += v;
  }

  get mean(): number {
    return this.count > 0 ? this.sum / this.count : 0;
  }

  /** The value at percentile `p` (0-100): the middle of its bucket, kept within [min, max]. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(b)));
    }
    return this.max;
  }

  add(other: DelayHistogram): void {
    if (other.count === 0) return;
    for (let b = 0; b < this.counts.length; b++) this.counts[b]! += other.counts[b]!;
    this.min = this.count === 0 ? other.min : Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.count += other.count;
    this.sum += other.sum;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = 0;
    this.max = 0;
    this.sum = 0;
  }
}

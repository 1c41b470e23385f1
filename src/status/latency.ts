// A fixed-size latency histogram cheap enough to record every request: log2 buckets split into
// 8 linear sub-buckets (about 12% resolution), no allocation per sample.
const SUB = 8;
const BUCKETS = 64 * SUB;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  samples = 0;

  record(ns: number): void {
    this.counts[bucketOf(ns)]++;
    this.samples++;
  }

  /** The value below which `q` (0..1) of the samples fall, as the bucket's upper bound. */
  quantile(q: number): number {
    if (this.samples === 0) return 0;
    const want = Math.ceil(q * this.samples);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= want) return upperBound(b);
    }
    return upperBound(BUCKETS - 1);
  }

  reset(): void {
    this.counts.fill(0);
    this.samples = 0;
  }
}

function bucketOf(ns: number): number {
  if (ns < SUB) return Math.max(0, Math.floor(ns));
  const exp = Math.floor(Math.log2(ns));
  const sub = Math.floor((ns / 2 ** exp - 1) * SUB);
  return Math.min(BUCKETS - 1, (exp - 2) * SUB + sub);
}

function upperBound(bucket: number): number {
  if (bucket < SUB) return bucket + 1;
  const exp = Math.floor(bucket / SUB) + 2;
  const sub = bucket % SUB;
  return Math.ceil(2 ** exp * (1 + (sub + 1) / SUB));
}

/**
 * @module bench/stats
 * Sample collection and percentiles for the benchmark (latencies, setup times), and the median
 * of repeated runs.
 */

/** Percentiles of a set of samples (same unit as the samples). */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** A growable array of numbers, cheap to append to at a high rate. */
export class Samples {
  #data = new Float64Array(1024);
  #length = 0;

  /** Number of samples so far. */
  get count(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  /** Every sample so far, in the order pushed (to merge the samples of several processes). */
  values(): number[] {
    return Array.from(this.#data.subarray(0, this.#length));
  }

  /** Percentiles (nearest rank), all 0 when there are no samples. */
  summary(): Summary {
    const n = this.#length;
    if (n === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    const sorted = this.#data.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return {
      count: n,
      min: sorted[0]!,
      p50: rank(sorted, 0.5),
      p90: rank(sorted, 0.9),
      p99: rank(sorted, 0.99),
      max: sorted[n - 1]!,
      mean: sum / n,
    };
  }
}

/** Nearest-rank percentile of sorted samples, `p` in [0, 1]. */
export function rank(sorted: ArrayLike<number>, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** The median of some numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

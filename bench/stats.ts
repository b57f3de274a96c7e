/** Small statistics over repeated measurements. */

export interface Spread {
  /** Median. */
  median: number;
  min: number;
  max: number;
  /** Interquartile range (linear interpolation), when there are at least 4 samples. */
  iqr?: number;
  samples: number[];
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function spread(samples: number[], digits = 0): Spread {
  if (!samples.length) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: round(quantile(sorted, 0.5), digits),
    min: round(sorted[0], digits),
    max: round(sorted[sorted.length - 1], digits),
    ...(sorted.length >= 4 ? { iqr: round(quantile(sorted, 0.75) - quantile(sorted, 0.25), digits) } : {}),
    samples: samples.map((s) => round(s, digits)),
  };
}

export function ratio(a: number, b: number): number {
  return round(a / b, 2);
}

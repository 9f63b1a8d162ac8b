/**
 * Seeded randomness for the generator: no dependency, no `Math.random`, so that one
 * seed always gives byte-identical files.
 *
 * Two kinds: `mulberry32` is a sequential stream (draw after draw), and the
 * `hash*` functions are counter-based (a value for any key at any point in time,
 * without having generated what came before). The model keys everything by time,
 * so a reading does not depend on where a run started.
 */

/** A stream of uniform numbers in [0, 1). */
export type Rng = () => number;

const GOLDEN = 0x9e3779b9;

/** Chris Wellons' lowbias32: a well-mixing 32-bit integer hash. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of up to four integers (order matters). */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32((a ^ GOLDEN) >>> 0);
  h = mix32((h + Math.imul(b | 0, GOLDEN) + 1) >>> 0);
  h = mix32((h + Math.imul(c | 0, 0x85ebca6b) + 2) >>> 0);
  return mix32((h + Math.imul(d | 0, 0xc2b2ae35) + 3) >>> 0);
}

/** `hash32` as a number in [0, 1). */
export function hashUnit(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / 4294967296;
}

/** mulberry32 (Tommy Ettinger): tiny, fast, good enough for synthetic data. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in [min, max). */
export function between(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** One of `items`, optionally weighted. */
export function pick<T>(rng: Rng, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(rng() * items.length)] as T;
  const total = weights.reduce((s, w) => s + w, 0);
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] ?? 0;
    if (r < 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

/**
 * White noise in [-1, 1], stratified: the readings of a stream are taken in blocks
 * of `STRATA`, and each block draws one value from each of the `STRATA` equal slices
 * of [-1, 1], in a random order. Each reading is still uniform and unpredictable, but
 * no run of readings can be unusually alike, so the spread of any window stays near
 * its nominal value. That is what a rolling z-score spike rule divides by: with
 * independent noise, a window of 24 readings now and then comes out so quiet that an
 * ordinary reading after it scores 4–5 (bell-shaped noise: 6–8); with stratified
 * noise pure noise stays under ~2.5. Uniform and bounded, too, so that clean data
 * keeps a known distance from every threshold.
 *
 * A pure function of its keys and `index`, the position on the sampling grid.
 * Streams sharing a `strataKey` visit the slices in the same order (each with its
 * own place inside the slice, from `jitterKey`).
 */
export function stratifiedNoise(strataKey: number, jitterKey: number, index: number): number {
  const block = Math.floor(index / STRATA);
  const slice = nthOfPermutation(knot(strataKey, block), index - block * STRATA);
  return ((slice + knot(jitterKey, index) / 4294967296) / STRATA) * 2 - 1;
}

const STRATA = 8;

/** Element `n` of the permutation of 0..STRATA-1 that `code` (any 32-bit number) selects, by its Lehmer code. */
function nthOfPermutation(code: number, n: number): number {
  let used = 0;
  let r = code;
  for (let k = 0; ; k++) {
    const left = STRATA - k;
    let j = r % left;
    r = Math.floor(r / left);
    let pick = 0;
    for (; ; pick++) if (!(used & (1 << pick)) && j-- === 0) break;
    if (k === n) return pick;
    used |= 1 << pick;
  }
}

/** One mixing round over a key (itself a hash) and a counter: the cheap hash of the hot paths. */
export function knot(key: number, i: number): number {
  return mix32((key ^ Math.imul(i, GOLDEN)) >>> 0);
}

/**
 * Smooth noise in [-1, 1] along `x`: a uniform cubic B-spline through random knots
 * at the integers, a pure function of (key, x); `key` should itself be a hash. Its slope and curvature are
 * continuous and it never pauses at a knot, so it drifts rather than steps: over a
 * span of a knot or less it is close to a low-order polynomial.
 */
export function smoothNoise(key: number, x: number): number {
  const i = Math.floor(x);
  const t = x - i;
  const t2 = t * t;
  const t3 = t2 * t;
  const k0 = knot(key, i - 1) / 2147483648 - 1;
  const k1 = knot(key, i) / 2147483648 - 1;
  const k2 = knot(key, i + 1) / 2147483648 - 1;
  const k3 = knot(key, i + 2) / 2147483648 - 1;
  const b0 = (1 - 3 * t + 3 * t2 - t3) / 6;
  const b1 = (4 - 6 * t2 + 3 * t3) / 6;
  const b2 = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
  const b3 = t3 / 6;
  return b0 * k0 + b1 * k1 + b2 * k2 + b3 * k3;
}

/** sfc32: a small, fast, seedable PRNG (same sequence on every platform). */
export function sfc32(seed: number): () => number {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (a + b + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 15; i++) next()
  return next
}

/** Standard normal samples (Box–Muller) from a uniform source. */
export function gaussian(rand: () => number): () => number {
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const s = spare
      spare = undefined
      return s
    }
    let u = 0
    while (u === 0) u = rand()
    const v = rand()
    const mag = Math.sqrt(-2 * Math.log(u))
    spare = mag * Math.sin(2 * Math.PI * v)
    return mag * Math.cos(2 * Math.PI * v)
  }
}

/** A 32-bit integer mix (murmur3 finaliser), for order keys that depend only on (record, seed, epoch). */
export function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

export type Random = {
  /** Uniform in [0, 1). */
  next: () => number
  /** Standard normal. */
  gauss: () => number
  /** Uniform integer in [0, n). */
  int: (n: number) => number
}

/**
 * The repository's one seedable random source (sfc32, Box–Muller for normals): training, the
 * evaluation, benches and tests all draw from it, so a seed means the same sequence everywhere.
 */
export function createRandom(seed: number): Random {
  const next = sfc32(seed)
  return {next, gauss: gaussian(next), int: (n) => Math.floor(next() * n)}
}

/** Fisher–Yates shuffle of `a` in place. */
export function shuffleInPlace<T>(a: T[], rand: Random): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rand.int(i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

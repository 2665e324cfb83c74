// Point arithmetic on the two atproto curves, y² = x³ + ax + b over F_p with a prime order n and
// cofactor 1: secp256k1 (a = 0) and P-256 (a = -3). Both have p ≡ 3 (mod 4), so a square root is
// one exponentiation. Points are Jacobian triples (x = X/Z², y = Y/Z³; Z = 0 is the identity),
// kept internal; callers see affine points. One small module for both curves instead of
// @noble/curves' generic Weierstrass layer, which made up most of a browser bundle that signs
// and verifies. test/weierstrass.test.ts compares every function here with @noble/curves.
//
// Timing: BigInt arithmetic is not constant time, as in every pure-JS implementation. Fixed-base
// multiplication (signing's k·G) does one table addition per 4-bit window whatever the digit.

/** A curve's domain parameters (SEC 2 / FIPS 186-4). */
export interface CurveParams {
  readonly p: bigint
  readonly n: bigint
  /** 0 or p - 3: the doubling formula has a case for each. */
  readonly a: bigint
  readonly b: bigint
  readonly Gx: bigint
  readonly Gy: bigint
}

/** An affine point, never the identity (decoding and the public helpers reject it). */
export interface AffinePoint {
  readonly x: bigint
  readonly y: bigint
}

type Jacobian = [bigint, bigint, bigint]

/** `a mod m` in [0, m). */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m
  return r < 0n ? r + m : r
}

/** `b^e mod m` for e > 0, four exponent bits at a time (e's hex digits, most significant first). */
function powMod(b: bigint, e: bigint, m: bigint): bigint {
  const pows: bigint[] = [1n, mod(b, m)]
  for (let i = 2; i < 16; i++) pows[i] = ((pows[i - 1] as bigint) * (pows[1] as bigint)) % m
  const hex = e.toString(16)
  let r = pows[Number.parseInt(hex[0] as string, 16)] as bigint
  for (let i = 1; i < hex.length; i++) {
    r = (r * r) % m
    r = (r * r) % m
    r = (r * r) % m
    r = (r * r) % m
    r = (r * (pows[Number.parseInt(hex[i] as string, 16)] as bigint)) % m
  }
  return r
}

/**
 * The inverse of `a` modulo the prime `m` (extended Euclid).
 * @throws {RangeError} when `a` is 0 mod m (no inverse).
 */
export function invert(a: bigint, m: bigint): bigint {
  let u = mod(a, m)
  if (u === 0n) throw new RangeError('no inverse of zero')
  let v = m
  let x0 = 1n // x0·a ≡ u
  let x1 = 0n // x1·a ≡ v
  while (u !== 1n) {
    const q = v / u
    const r = v - q * u
    const x = x1 - q * x0
    v = u
    u = r
    x1 = x0
    x0 = x
  }
  return mod(x0, m)
}

/** One curve: its parameters and the arithmetic bound to them. */
export class Curve {
  readonly params: CurveParams
  readonly #p: bigint
  readonly #aIsZero: boolean
  /** `(p + 1) / 4`: x^that is a square root of x when one exists (p ≡ 3 mod 4). */
  readonly #sqrtExp: bigint
  /** Affine multiples (d + 1)·16^w·G for window w in [0, 64) and digit d in [0, 15), built once. */
  #baseTable: AffinePoint[] | undefined

  constructor(params: CurveParams) {
    this.params = params
    this.#p = params.p
    this.#aIsZero = params.a === 0n
    if (!this.#aIsZero && params.a !== params.p - 3n) throw new RangeError('curve a must be 0 or -3')
    this.#sqrtExp = (params.p + 1n) >> 2n
  }

  /** y² of `x` by the curve equation. */
  #rhs(x: bigint): bigint {
    const p = this.#p
    return mod((((x * x) % p) * x + this.params.a * x + this.params.b) % p, p)
  }

  /** Whether the affine (x, y) satisfies the curve equation (both already in [0, p)). */
  isOnCurve(x: bigint, y: bigint): boolean {
    return (y * y) % this.#p === this.#rhs(x)
  }

  #double(P: Jacobian): Jacobian {
    const p = this.#p
    const [X, Y, Z] = P
    if (Z === 0n || Y === 0n) return [0n, 1n, 0n]
    const YY = (Y * Y) % p
    const S = (4n * X * YY) % p
    let M: bigint
    if (this.#aIsZero) M = (3n * X * X) % p
    else {
      const ZZ = (Z * Z) % p
      M = (3n * (X - ZZ) * (X + ZZ)) % p // 3X² + aZ⁴ with a = -3
    }
    const X3 = mod(M * M - 2n * S, p)
    const Y3 = mod(M * (S - X3) - 8n * YY * YY, p)
    return [X3, Y3, (2n * Y * Z) % p]
  }

  /** P + Q for Jacobian P and affine Q (Q never the identity). */
  #addAffine(P: Jacobian, Q: AffinePoint): Jacobian {
    const p = this.#p
    const [X1, Y1, Z1] = P
    if (Z1 === 0n) return [Q.x, Q.y, 1n]
    const Z1Z1 = (Z1 * Z1) % p
    const H = mod(Q.x * Z1Z1 - X1, p)
    const R = mod(((Q.y * Z1) % p) * Z1Z1 - Y1, p)
    if (H === 0n) return R === 0n ? this.#double(P) : [0n, 1n, 0n]
    const HH = (H * H) % p
    const HHH = (H * HH) % p
    const V = (X1 * HH) % p
    const X3 = mod(R * R - HHH - 2n * V, p)
    const Y3 = mod(R * (V - X3) - Y1 * HHH, p)
    return [X3, Y3, (Z1 * H) % p]
  }

  /** P + Q for Jacobian P and Q. */
  #add(P: Jacobian, Q: Jacobian): Jacobian {
    const p = this.#p
    const [X1, Y1, Z1] = P
    const [X2, Y2, Z2] = Q
    if (Z1 === 0n) return Q
    if (Z2 === 0n) return P
    const Z1Z1 = (Z1 * Z1) % p
    const Z2Z2 = (Z2 * Z2) % p
    const U1 = (X1 * Z2Z2) % p
    const S1 = (((Y1 * Z2) % p) * Z2Z2) % p
    const H = mod(X2 * Z1Z1 - U1, p)
    const R = mod(((Y2 * Z1) % p) * Z1Z1 - S1, p)
    if (H === 0n) return R === 0n ? this.#double(P) : [0n, 1n, 0n]
    const HH = (H * H) % p
    const HHH = (H * HH) % p
    const V = (U1 * HH) % p
    const X3 = mod(R * R - HHH - 2n * V, p)
    const Y3 = mod(R * (V - X3) - S1 * HHH, p)
    return [X3, Y3, (((Z1 * Z2) % p) * H) % p]
  }

  /** Affine forms of Jacobian points, none the identity, with one inversion (Montgomery's trick). */
  #toAffineAll(points: readonly Jacobian[]): AffinePoint[] {
    const p = this.#p
    const prefix: bigint[] = new Array(points.length)
    let acc = 1n
    for (let i = 0; i < points.length; i++) {
      prefix[i] = acc
      acc = (acc * (points[i] as Jacobian)[2]) % p
    }
    let inv = invert(acc, p)
    const out: AffinePoint[] = new Array(points.length)
    for (let i = points.length - 1; i >= 0; i--) {
      const [X, Y, Z] = points[i] as Jacobian
      const zi = ((prefix[i] as bigint) * inv) % p
      inv = (inv * Z) % p
      const zi2 = (zi * zi) % p
      out[i] = { x: (X * zi2) % p, y: (((Y * zi2) % p) * zi) % p }
    }
    return out
  }

  /** The affine point of P, or null for the identity. */
  #toAffine(P: Jacobian): AffinePoint | null {
    return P[2] === 0n ? null : (this.#toAffineAll([P])[0] as AffinePoint)
  }

  /** The 4-bit window table of G (960 points, built on first use and kept for the process). */
  #table(): AffinePoint[] {
    if (this.#baseTable !== undefined) return this.#baseTable
    const points: Jacobian[] = []
    let base: Jacobian = [this.params.Gx, this.params.Gy, 1n]
    for (let w = 0; w < 64; w++) {
      let acc = base
      points.push(acc)
      for (let d = 1; d < 15; d++) {
        acc = this.#add(acc, base)
        points.push(acc)
      }
      base = this.#add(acc, base) // 15·16^w·G + 16^w·G
    }
    this.#baseTable = this.#toAffineAll(points)
    return this.#baseTable
  }

  /**
   * k·G for a scalar in [0, n) as a Jacobian point: one table addition per window, the
   * digit-0 windows adding into a discarded accumulator so the work hardly depends on k.
   */
  #mulBase(k: bigint): Jacobian {
    const table = this.#table()
    let acc: Jacobian = [0n, 1n, 0n]
    let dummy: Jacobian = [this.params.Gx, this.params.Gy, 1n]
    for (let w = 0; w < 64; w++) {
      const d = Number((k >> BigInt(4 * w)) & 15n)
      if (d === 0) dummy = this.#addAffine(dummy, table[w * 15] as AffinePoint)
      else acc = this.#addAffine(acc, table[w * 15 + d - 1] as AffinePoint)
    }
    return acc
  }

  /**
   * The public key of the private scalar `d` in [1, n), affine.
   * @throws {RangeError} when `d` is not in [1, n).
   */
  multiplyBase(d: bigint): AffinePoint {
    if (d <= 0n || d >= this.params.n) throw new RangeError('scalar must be in [1, n)')
    return this.#toAffine(this.#mulBase(d)) as AffinePoint
  }

  /** The x coordinate of k·G (k in [1, n)), for a signature's r. */
  baseX(k: bigint): bigint {
    return this.multiplyBase(k).x
  }

  /** Multiples 1·Q .. 15·Q of a public key, affine: the window table of one verifying key. */
  keyTable(Q: AffinePoint): AffinePoint[] {
    const points: Jacobian[] = [[Q.x, Q.y, 1n]]
    for (let d = 1; d < 15; d++) points.push(this.#addAffine(points[d - 1] as Jacobian, Q))
    // A multiple is the identity only if n | d, impossible for d < 15 on these prime-order curves.
    return this.#toAffineAll(points)
  }

  /**
   * x of u1·G + u2·Q (u1, u2 in [0, n)) where `qTable` is {@link keyTable} of Q, or null when
   * the sum is the identity. Variable time: verification handles public data only.
   */
  mulAddX(u1: bigint, u2: bigint, qTable: readonly AffinePoint[]): bigint | null {
    const table = this.#table()
    let acc: Jacobian = [0n, 1n, 0n]
    for (let w = 63; w >= 0; w--) {
      if (acc[2] !== 0n) acc = this.#double(this.#double(this.#double(this.#double(acc))))
      const d = Number((u2 >> BigInt(4 * w)) & 15n)
      if (d !== 0) acc = this.#addAffine(acc, qTable[d - 1] as AffinePoint)
    }
    let g: Jacobian = [0n, 1n, 0n]
    for (let w = 0; w < 64; w++) {
      const d = Number((u1 >> BigInt(4 * w)) & 15n)
      if (d !== 0) g = this.#addAffine(g, table[w * 15 + d - 1] as AffinePoint)
    }
    const sum = this.#toAffine(this.#add(acc, g))
    return sum === null ? null : sum.x
  }

  /**
   * The point of SEC1 bytes: 33 (0x02/0x03 then x) or 65 (0x04, x, y), coordinates below p and
   * on the curve; null otherwise. The identity has no encoding here.
   */
  fromBytes(bytes: Uint8Array): AffinePoint | null {
    const p = this.#p
    const tag = bytes[0]
    if (bytes.length === 33 && (tag === 2 || tag === 3)) {
      const x = bytesToBig(bytes, 1, 33)
      if (x >= p) return null
      const rhs = this.#rhs(x)
      let y = powMod(rhs, this.#sqrtExp, p)
      if ((y * y) % p !== rhs) return null
      if (Number(y & 1n) !== (tag & 1)) y = mod(-y, p)
      return { x, y }
    }
    if (bytes.length === 65 && tag === 4) {
      const x = bytesToBig(bytes, 1, 33)
      const y = bytesToBig(bytes, 33, 65)
      if (x >= p || y >= p || !this.isOnCurve(x, y)) return null
      return { x, y }
    }
    return null
  }

  /** SEC1 bytes of a point: 33 compressed or 65 uncompressed. */
  toBytes(P: AffinePoint, compressed: boolean): Uint8Array {
    const out = new Uint8Array(compressed ? 33 : 65)
    out[0] = compressed ? 2 + Number(P.y & 1n) : 4
    writeBig(out, 1, P.x)
    if (!compressed) writeBig(out, 33, P.y)
    return out
  }
}

function bytesToBig(b: Uint8Array, from: number, to: number): bigint {
  let hex = ''
  for (let i = from; i < to; i++) hex += ((b[i] as number) + 256).toString(16).slice(1)
  return BigInt(`0x${hex}`)
}

function writeBig(out: Uint8Array, at: number, v: bigint): void {
  for (let i = 31; i >= 0; i--) {
    out[at + i] = Number(v & 255n)
    v >>= 8n
  }
}

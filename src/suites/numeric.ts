const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number, rounded to nearest even (Node 20 has no Float16Array). */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent.
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

export function f16BitsToNumber(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The value rounded to binary16 precision (nearest even), as a number. */
export function roundToF16(value: number): number {
  const a = Math.abs(value);
  // Normal binary16 range: round the f32 mantissa to 10 bits in place (the f64 reference of a
  // 7B layer rounds hundreds of millions of weights). Subnormals, overflow and NaN take the full path.
  if (a >= 2 ** -14 && a < 65504) {
    f32[0] = value;
    const b = u32[0] as number;
    u32[0] = (b + 0x0fff + ((b >>> 13) & 1)) & 0xffffe000;
    return f32[0];
  }
  return f16BitsToNumber(f32ToF16Bits(value));
}

/** Symmetric per-tensor int8 quantization: q = round(x / scale), scale = max|x| / 127. */
export function quantizeInt8(values: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const scale = max === 0 ? 1 : max / 127;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++)
    q[i] = Math.max(-127, Math.min(127, Math.round((values[i] as number) / scale)));
  return { q, scale };
}

/** FNV-1a over 32-bit words: a checksum that sees every word, its value and its position. */
export function checksumWords(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ (words[i] as number), 0x01000193) >>> 0;
  }
  return h;
}

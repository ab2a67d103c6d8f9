import type { ParamValue } from '../suites/types.js';

/**
 * A case's identity across devices, engines and frameworks. Its `id` carries the size it ran at
 * on this device (`matmul/tiled-f32/256x256x256` on a CPU adapter, `…/4096x4096x4096` on a GPU),
 * so ids only match on one device; the key names what is measured — suite, kernel, dtype and a
 * shape class — with the size left as a parameter, so a CPU run and an H100 run meet on it.
 * Suites declare the key when they plan a case (with the builders below); results written before
 * keys existed get theirs from the same builders through `keyOfCase`.
 */

/** GEMV for a decode step's few rows, square, or any other rectangle. */
export function matmulShapeClass(M: number, N: number, K: number): 'gemv' | 'square' | 'rect' {
  if (M <= 8) return 'gemv';
  return M === N && N === K ? 'square' : 'rect';
}

export function matmulKey(variant: string, M: number, N: number, K: number): string {
  return `matmul/${variant}/${matmulShapeClass(M, N, K)}`;
}

/** The region (dram or cache-sweep) is the class; an explicit launch sweep stays its own case. */
export function memcopyKey(kernel: string, region: string, sweep = ''): string {
  return `memcopy/${kernel}/${region}${sweep}`;
}

/** Prefill or decode at a head dim (each its own kernel build), masked or not; B, H, T, S are the size. */
export function attentionKey(kind: string, dtype: string, decode: boolean, headDim: number, causal: boolean): string {
  return `attention/${kind}-${dtype}/${decode ? 'decode' : 'prefill'}-d${headDim}${causal ? '-causal' : ''}`;
}

/** A transfer path between tiers; the bytes (or blocks) moved are the size. */
export function kvTierKey(path: string): string {
  return `kvtier/${path}`;
}

export function peerKey(peer: string): string {
  return `peers/${peer}/square`;
}

/** A serving or decode-step case of one model: another model is other work, so it is part of the key. */
export function llmKey(kind: 'serve' | 'serve-disaggregated' | 'decode-step', model: string): string {
  return `llm/${kind}/model=${model}`;
}

interface KeyedCase {
  id: string;
  suite: string;
  params: Readonly<Record<string, ParamValue>>;
  key?: string | undefined;
}

const str = (v: ParamValue | undefined): string => (v === undefined ? '' : String(v));
const num = (v: ParamValue | undefined): number => (typeof v === 'number' ? v : Number.NaN);

/** The key a case declared, else the one its suite's builder gives from its params, else its id. */
export function keyOfCase(c: KeyedCase): string {
  if (c.key !== undefined) return c.key;
  const p = c.params;
  switch (c.suite) {
    case 'matmul':
      if (typeof p['variant'] === 'string') return matmulKey(p['variant'], num(p['M']), num(p['N']), num(p['K']));
      break;
    case 'memcopy':
      if (typeof p['kernel'] === 'string') {
        const sweep = /\/wg=\d+\/ept=\d+$/.exec(c.id)?.[0] ?? '';
        return memcopyKey(p['kernel'], typeof p['region'] === 'string' ? p['region'] : 'unlabelled', sweep);
      }
      break;
    case 'attention':
      if (typeof p['kind'] === 'string' && typeof p['dtype'] === 'string') {
        return attentionKey(
          p['kind'],
          p['dtype'],
          p['kind'].startsWith('decode'),
          num(p['headDim']),
          p['causal'] === true,
        );
      }
      break;
    case 'kvtier':
      if (typeof p['path'] === 'string') return kvTierKey(p['path']);
      break;
    case 'peers':
      if (typeof p['peer'] === 'string') return peerKey(p['peer']);
      break;
    case 'llm':
      if (p['kind'] === 'decode-step') return llmKey('decode-step', str(p['model']));
      break;
    default:
      break;
  }
  // Peaks, overheads, serving and simulations: their ids carry no size chosen for the device.
  return c.id;
}

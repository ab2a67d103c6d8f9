import { fillRandomU32 } from '../gpu/buffers.js';
import { decodeStepBytes, decodeStepFlops, prefillFlops } from '../metrics/flops.js';
import type { GpuModel, Row } from './engine.js';
import type { RequestRecord, StepRecord } from './metrics.js';

export interface Workload {
  requests: number;
  /** All requests at time 0, or arrivals as a Poisson process at this rate (requests/s). */
  arrival: 'all-at-once' | { poissonPerSecond: number };
  promptTokens: [number, number];
  outputTokens: [number, number];
  seed: number;
}

/** Seeded request shapes and arrival offsets (ms). */
export function planRequests(w: Workload, vocab: number): { prompt: number[]; output: number; arrivalMs: number }[] {
  const bits = new Uint32Array(w.requests * 4 + 4096);
  fillRandomU32(w.seed, 0, bits);
  let k = 0;
  const uniform = (): number => (bits[k++ % bits.length] as number) / 2 ** 32;
  const between = ([lo, hi]: [number, number]): number => lo + Math.floor(uniform() * (hi - lo + 1));
  let t = 0;
  return Array.from({ length: w.requests }, () => {
    if (w.arrival !== 'all-at-once') t += (-Math.log(1 - uniform()) / w.arrival.poissonPerSecond) * 1000;
    const n = between(w.promptTokens);
    return {
      prompt: Array.from({ length: n }, () => Math.floor(uniform() * vocab)),
      output: between(w.outputTokens),
      arrivalMs: t,
    };
  });
}

/** The seeded requests and their empty records, refused up front if one cannot fit a sequence's KV. */
function startSession(
  w: Workload,
  models: readonly GpuModel[],
): { planned: ReturnType<typeof planRequests>; records: RequestRecord[] } {
  const m = (models[0] as GpuModel).config;
  const planned = planRequests(w, m.vocabSize);
  const maxTokens = Math.max(...planned.map((p) => p.prompt.length + p.output));
  const room = Math.min(...models.map((x) => x.maxTokens));
  if (maxTokens > room)
    throw new Error(`a request needs ${maxTokens} tokens of KV cache, more than the ${room} per sequence planned`);
  const records: RequestRecord[] = planned.map((p, id) => ({
    id,
    promptTokens: p.prompt.length,
    outputTokens: p.output,
    arrivalMs: p.arrivalMs,
    scheduledMs: Number.NaN,
    prefillDoneMs: Number.NaN,
    tokenTimesMs: [],
  }));
  return { planned, records };
}

/** A prompt's prefill takes the logits of its last row only: the LM head runs once (docs/metrics.md). */
function prefillStep(model: GpuModel, tokens: number, startMs: number, endMs: number): StepRecord {
  return {
    kind: 'prefill',
    startMs,
    endMs,
    rows: tokens,
    flops: prefillFlops(model.config, tokens, { rowsWithLogits: 1 }),
    bytes: 0,
  };
}

/** A decode step's FLOPs and the bytes it must read (weights once, each sequence's KV). */
function decodeStep(model: GpuModel, contexts: readonly number[], startMs: number, endMs: number): StepRecord {
  const m = model.config;
  return {
    kind: 'decode',
    startMs,
    endMs,
    rows: contexts.length,
    flops: contexts.reduce((s, c) => s + decodeStepFlops(m, c), 0),
    bytes: decodeStepBytes(m, {
      weightBytesPerParam: model.weightDtype === 'f16' ? 2 : 4,
      kvBytesPerElement: 4,
      contexts,
    }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Serves the workload on the model: admits requests as they arrive (up to the model's batch of
 * sequences), prefills each new one, then runs decode steps over every active sequence, one token
 * each, recording the host time every token is known (after its forward pass completed).
 */
export async function serve(
  model: GpuModel,
  w: Workload,
): Promise<{ records: RequestRecord[]; steps: StepRecord[]; peakKvTokens: number }> {
  const { planned, records } = startSession(w, [model]);
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const steps: StepRecord[] = [];
  const slots: (number | null)[] = new Array<number | null>(model.maxSeqs).fill(null);
  const last = new Map<number, { token: number; pos: number }>();
  let next = 0;
  let peakKvTokens = 0;
  while (records.some((r) => r.tokenTimesMs.length < r.outputTokens)) {
    const free = slots.indexOf(null);
    const arrived = next < planned.length && (planned[next] as { arrivalMs: number }).arrivalMs <= now();
    if (free >= 0 && arrived) {
      const id = next++;
      const req = planned[id] as { prompt: number[]; output: number };
      const record = records[id] as RequestRecord;
      slots[free] = id;
      record.scheduledMs = now();
      const rows: Row[] = req.prompt.map((token, pos) => ({ seq: free, pos, token }));
      const start = now();
      const [token] = await model.forward(rows, [rows.length - 1]);
      model.releaseTransient();
      const end = now();
      record.prefillDoneMs = end;
      record.tokenTimesMs.push(end);
      steps.push(prefillStep(model, rows.length, start, end));
      last.set(id, { token: token as number, pos: rows.length });
      if (record.outputTokens <= 1) slots[free] = null;
      continue;
    }
    const active = slots.map((id, seq) => ({ id, seq })).filter((s): s is { id: number; seq: number } => s.id !== null);
    if (active.length === 0) {
      const wait = (planned[next] as { arrivalMs: number }).arrivalMs - now();
      if (wait > 0) await sleep(wait);
      continue;
    }
    const rows: Row[] = active.map(({ id, seq }) => ({
      seq,
      pos: (last.get(id) as { pos: number }).pos,
      token: (last.get(id) as { token: number }).token,
    }));
    const contexts = rows.map((r) => r.pos + 1);
    peakKvTokens = Math.max(
      peakKvTokens,
      contexts.reduce((s, c) => s + c, 0),
    );
    const start = now();
    const tokens = await model.forward(
      rows,
      rows.map((_, i) => i),
    );
    model.releaseTransient();
    const end = now();
    steps.push(decodeStep(model, contexts, start, end));
    for (const [i, { id, seq }] of active.entries()) {
      const record = records[id] as RequestRecord;
      record.tokenTimesMs.push(end);
      last.set(id, { token: tokens[i] as number, pos: (last.get(id) as { pos: number }).pos + 1 });
      if (record.tokenTimesMs.length >= record.outputTokens) slots[seq] = null;
    }
  }
  return { records, steps, peakKvTokens };
}

export interface Handover {
  id: number;
  bytes: number;
  /** Export from the prefill device to the host plus import into the decode device. */
  ms: number;
}

/**
 * Prefill/decode disaggregation: prefill runs on one device and decode on another (two adapters,
 * or two devices sharing one), concurrently. After its prefill, a request's KV blocks travel
 * prefill device → host → decode device, timed; only then can its decode steps run.
 */
export async function serveDisaggregated(
  prefillModel: GpuModel,
  decodeModel: GpuModel,
  w: Workload,
): Promise<{ records: RequestRecord[]; steps: StepRecord[]; peakKvTokens: number; handovers: Handover[] }> {
  const { planned, records } = startSession(w, [prefillModel, decodeModel]);
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const steps: StepRecord[] = [];
  const handovers: Handover[] = [];
  const slots: (number | null)[] = new Array<number | null>(Math.min(prefillModel.maxSeqs, decodeModel.maxSeqs)).fill(
    null,
  );
  // Sequences whose KV is on the decode device, with their next input token and position.
  const running = new Map<number, { seq: number; token: number; pos: number }>();
  let peakKvTokens = 0;
  const finished = (): boolean => records.every((r) => r.tokenTimesMs.length >= r.outputTokens);

  const prefillLoop = async (): Promise<void> => {
    for (const [id, req] of planned.entries()) {
      const record = records[id] as RequestRecord;
      while (now() < req.arrivalMs) await sleep(Math.max(0, req.arrivalMs - now()));
      let seq = slots.indexOf(null);
      while (seq < 0) {
        await sleep(1);
        seq = slots.indexOf(null);
      }
      slots[seq] = id;
      record.scheduledMs = now();
      const rows: Row[] = req.prompt.map((token, pos) => ({ seq, pos, token }));
      const start = now();
      const [token] = await prefillModel.forward(rows, [rows.length - 1]);
      prefillModel.releaseTransient();
      const end = now();
      record.prefillDoneMs = end;
      record.tokenTimesMs.push(end);
      steps.push(prefillStep(prefillModel, rows.length, start, end));
      if (record.outputTokens <= 1) {
        slots[seq] = null;
        continue;
      }
      const h0 = now();
      const kv = await prefillModel.exportKv(seq, rows.length);
      await decodeModel.importKv(seq, rows.length, kv);
      handovers.push({ id, bytes: kv.bytes, ms: now() - h0 });
      running.set(id, { seq, token: token as number, pos: rows.length });
    }
  };

  const decodeLoop = async (): Promise<void> => {
    while (!finished()) {
      const active = [...running.entries()];
      if (active.length === 0) {
        await sleep(1);
        continue;
      }
      const rows: Row[] = active.map(([, s]) => ({ seq: s.seq, pos: s.pos, token: s.token }));
      const contexts = rows.map((r) => r.pos + 1);
      peakKvTokens = Math.max(
        peakKvTokens,
        contexts.reduce((s, c) => s + c, 0),
      );
      const start = now();
      const tokens = await decodeModel.forward(
        rows,
        rows.map((_, i) => i),
      );
      decodeModel.releaseTransient();
      const end = now();
      steps.push(decodeStep(decodeModel, contexts, start, end));
      for (const [i, [id, s]] of active.entries()) {
        const record = records[id] as RequestRecord;
        record.tokenTimesMs.push(end);
        s.token = tokens[i] as number;
        s.pos += 1;
        if (record.tokenTimesMs.length >= record.outputTokens) {
          running.delete(id);
          slots[s.seq] = null;
        }
      }
    }
  };

  await Promise.all([prefillLoop(), decodeLoop()]);
  return { records, steps, peakKvTokens, handovers };
}

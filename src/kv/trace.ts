import type { KvRequest } from './tieredCache.js';

export interface ConversationTraceOptions {
  conversations: number;
  turns: number;
  /** Blocks of the system prompt every request starts with. */
  systemPromptBlocks: number;
  /** New user blocks per turn. */
  userBlocksPerTurn: number;
  /** Blocks each answer appends (they are part of the next turn's prompt). */
  generatedBlocksPerTurn: number;
  /** How many conversations are interleaved at a time (round-robin within a window). */
  interleave: number;
}

/**
 * Multi-turn conversations sharing one system prompt: turn t of a conversation resends the system
 * prompt, every earlier user block and answer, then its new user blocks. Conversations run
 * interleaved, so a cache too small for all of them has to evict and bring blocks back.
 */
export function conversationTrace(o: ConversationTraceOptions): KvRequest[] {
  const system = Array.from({ length: o.systemPromptBlocks }, (_, i) => `sys:${i}`);
  const history: string[][] = Array.from({ length: o.conversations }, () => []);
  const out: KvRequest[] = [];
  for (let start = 0; start < o.conversations; start += o.interleave) {
    const group = Array.from({ length: Math.min(o.interleave, o.conversations - start) }, (_, i) => start + i);
    for (let turn = 0; turn < o.turns; turn++) {
      for (const c of group) {
        const user = Array.from({ length: o.userBlocksPerTurn }, (_, i) => `c${c}:t${turn}:u${i}`);
        const prior = history[c] as string[];
        const generated = Array.from({ length: o.generatedBlocksPerTurn }, (_, i) => `c${c}:t${turn}:g${i}`);
        out.push({
          id: `c${c}:t${turn}`,
          blocks: [...system, ...prior, ...user],
          sharedPrefixBlocks: system.length,
          generated,
        });
        prior.push(...user, ...generated);
      }
    }
  }
  return out;
}

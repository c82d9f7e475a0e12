import type { MultiNodeMode } from '../profiles/schema';

/**
 * The line a worker node prints when its part of a multi-node launch is up. The head is ready when its API
 * answers; the others have no API, so their own log says it.
 */
export interface ReadyLine {
  pattern: RegExp;
  /** How many times it must appear (one per engine on the node). */
  count: (opts: { dpLocal: number }) => number;
  source: string;
}

export const WORKER_READY: Record<MultiNodeMode, ReadyLine> = {
  // Each engine core logs it when profiling, KV cache and warm-up are done (also in headless mode).
  dp: {
    pattern: /init engine \(profile, create kv cache, warmup model\) took/,
    count: ({ dpLocal }) => dpLocal,
    source: 'vllm/v1/engine/core.py (EngineCore._initialize_kv_caches)',
  },
  // A headless PP node runs only workers: their model-load line is the last one before serving.
  'pp-mp': {
    pattern: /Loading model weights took|Model loading took/,
    count: () => 1,
    source: 'vllm_ascend/worker/model_runner_v1.py (load_model); vllm/v1/worker/gpu_model_runner.py',
  },
  // `ray start` prints it once the node's Ray processes run, then returns.
  ray: {
    pattern: /Ray runtime started/,
    count: () => 1,
    source: 'ray/scripts/scripts.py (ray start)',
  },
};

/** How often the pattern occurs in the text. */
export function readyCount(line: ReadyLine, text: string): number {
  const g = new RegExp(line.pattern.source, 'g');
  return [...text.matchAll(g)].length;
}

/**
 * Progress of a msModelSlim run from its log: the phase markers application.py logs
 * ("===========ANALYSE MODEL===========" … "===========SUCCESS==========="), the runner's
 * "Start to init model" / "Init model success", one `Run processor P for "model.layers.N"` per processor and
 * decoder block, the saver's "Save safetensors files to … successfully"; the legacy example scripts' tqdm bar
 * "Collect quant param: 50%|…| 1/2" and "Save quant_model_description_json success!".
 */

export type QuantPhase = 'starting' | 'analyse' | 'best-practice' | 'quantize' | 'save' | 'done';

export interface QuantProgress {
  phase: QuantPhase;
  /** Decoder blocks done (the highest block index seen + 1) and how many there are, when known. */
  block: number | null;
  blocks: number | null;
  /** 0..1 */
  fraction: number;
}

const MARKERS: Array<[RegExp, QuantPhase, number]> = [
  [/={5,}ANALYSE MODEL={5,}/, 'analyse', 0.02],
  [/={5,}GET BEST PRACTICE={5,}/, 'best-practice', 0.05],
  [/={5,}QUANTIZE MODEL={5,}/, 'quantize', 0.08],
  [/ - Start to init model$/, 'quantize', 0.1],
  [/ - Init model success$/, 'quantize', 0.15],
  [/Save safetensors files to .* successfully|Path of quant_model_description_json is/, 'save', 0.97],
  [/={5,}SUCCESS={5,}|Save quant_model_description_json success!/, 'done', 1],
];
const BLOCK = /Run processor \S+ for "(?:.*\.)?layers\.(\d+)"/;
const TQDM = /Collect quant param:\s*(\d+)%.*?(\d+)\/(\d+)/;
const BLOCKS_FROM = 0.15;
const BLOCKS_TO = 0.95;

export class QuantProgressTracker {
  private state: QuantProgress;

  constructor(blocks: number | null) {
    this.state = { phase: 'starting', block: null, blocks, fraction: 0 };
  }

  current(): QuantProgress {
    return { ...this.state };
  }

  /** One log line → the new progress when it moved, else null. Lines may hold tqdm's "\r" updates. */
  feed(raw: string): QuantProgress | null {
    const line = raw.split('\r').filter((s) => s.trim()).pop() ?? '';
    const s = this.state;
    for (const [re, phase, fraction] of MARKERS) {
      if (re.test(line)) return this.move({ ...s, phase, fraction: Math.max(s.fraction, fraction) });
    }
    const b = BLOCK.exec(line);
    if (b) {
      const done = Number(b[1]) + 1;
      const total = s.blocks && s.blocks >= done ? s.blocks : null;
      const fraction = total ? BLOCKS_FROM + ((BLOCKS_TO - BLOCKS_FROM) * done) / total : s.fraction;
      return this.move({ ...s, phase: 'quantize', block: Math.max(s.block ?? 0, done), fraction: Math.max(s.fraction, fraction) });
    }
    const q = TQDM.exec(line);
    if (q) {
      const total = Number(q[3]);
      const done = Number(q[2]);
      return this.move({ ...s, phase: 'quantize', block: done, blocks: total, fraction: Math.max(s.fraction, BLOCKS_FROM + ((BLOCKS_TO - BLOCKS_FROM) * done) / Math.max(1, total)) });
    }
    return null;
  }

  private move(next: QuantProgress): QuantProgress | null {
    const prev = this.state;
    if (prev.phase === next.phase && prev.block === next.block && prev.fraction === next.fraction && prev.blocks === next.blocks) return null;
    this.state = next;
    return { ...next };
  }
}

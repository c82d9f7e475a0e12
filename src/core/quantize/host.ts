import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { ensureScripts } from '../hostscripts/upload';
import { hostPython, parseResultFile, withSimEnv } from '../jobs/index';
import type { Transport } from '../transport/transport';
import { inspectQuantDescription, type DescriptionSummary, type QuantDescContext } from '../analysis/quantdesc';
import type { Finding } from '../analysis/types';
import type { SafetensorsHeader, TensorInfo } from './safetensors';
import { DESCRIPTION_FILE } from './facts';
import { FolderFactsSchema, SiblingSchema, type FolderFacts, type Sibling } from './plan';
import { HostFactsSchema, type HostFacts } from './precheck';

/**
 * The host side of quantization facts: python/quantize/probe.py run over the transport (argv only), its JSON
 * parsed with zod. `checkOutput` turns what a run wrote (collected on the host, headers only) into the same
 * findings `ascend-adapt lint` gives for a local folder.
 */

export class QuantizeHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantizeHostError';
  }
}

export interface HostSite {
  transport: Transport;
  python: string;
  scriptsDir: string;
  simRoot?: string;
}

export async function hostSite(transport: Transport, simRoot?: string, python?: string): Promise<HostSite> {
  const py = python ?? (await hostPython(transport));
  return { transport, python: py, scriptsDir: await ensureScripts(transport, py), simRoot };
}

async function probe<T>(s: HostSite, schema: z.ZodType<T>, args: string[], withSim: boolean): Promise<T> {
  const argv = [s.python, `${s.scriptsDir}/quantize/probe.py`, ...args];
  const r = await s.transport.exec(withSim ? withSimEnv(s.simRoot, argv) : argv, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new QuantizeHostError(l10n.t('probe.py {0} failed on {1}: {2}', args[0], s.transport.label, r.stderr.toString().trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`));
  return parseResultFile(schema, r.stdout.toString('utf8'), `${s.transport.label}: probe.py ${args[0]}`);
}

export const ModelProbeSchema = FolderFactsSchema.extend({ siblings: z.array(SiblingSchema).optional() });

export async function probeModel(s: HostSite, path: string, siblings = false): Promise<{ facts: FolderFacts; siblings: Sibling[] }> {
  const r = await probe(s, ModelProbeSchema, ['model', path, ...(siblings ? ['--siblings'] : [])], false);
  const { siblings: sib, ...facts } = r;
  return { facts, siblings: sib ?? [] };
}

export async function probeHost(s: HostSite, out: string, msmodelslim: string[] = ['msmodelslim']): Promise<HostFacts> {
  return probe(s, HostFactsSchema, ['host', '--out', out, '--msmodelslim', ...msmodelslim], true);
}

export const OutputFactsSchema = z.object({
  path: z.string(),
  exists: z.boolean(),
  files: z.array(z.string()),
  descriptions: z.record(z.string(), z.string().nullable()),
  index: z.object({ file: z.string(), text: z.string().nullable() }).nullable(),
  config: z.string().nullable(),
  headers: z.record(z.string(), z.union([
    z.object({ tensors: z.record(z.string(), z.tuple([z.string(), z.array(z.number().int().nonnegative())])) }),
    z.object({ error: z.string() }),
  ])),
});
export type OutputFacts = z.infer<typeof OutputFactsSchema>;

export async function probeOutput(s: HostSite, dir: string): Promise<OutputFacts> {
  return probe(s, OutputFactsSchema, ['output', dir], false);
}

export interface OutputCheck {
  /** The description checked (the exact name when present, else the first variant). */
  description: DescriptionSummary | null;
  findings: Finding[];
  errors: number;
  warnings: number;
}

/** The description check of a folder collected on the host (same rules as lint on a local folder). */
export function checkOutput(out: OutputFacts, chip?: string): OutputCheck {
  const names = Object.keys(out.descriptions);
  const name = names.includes(DESCRIPTION_FILE) ? DESCRIPTION_FILE : names.sort()[0];
  const text = name ? out.descriptions[name] : null;
  if (!name || text === null) return { description: null, findings: [], errors: 1, warnings: 0 };
  const headers = new Map<string, SafetensorsHeader | Error>();
  for (const [shard, h] of Object.entries(out.headers)) {
    if ('error' in h) {
      headers.set(shard, new Error(h.error));
      continue;
    }
    const tensors = new Map<string, TensorInfo>(Object.entries(h.tensors).map(([k, [dtype, shape]]) => [k, { dtype, shape, data_offsets: [0, 0] as [number, number] }]));
    headers.set(shard, { tensors, metadata: {}, dataStart: 0, dataBytes: 0 });
  }
  const ctx: QuantDescContext = {
    fileName: name,
    siblingNames: out.files,
    index: out.index?.text ? { file: out.index.file, text: out.index.text } : undefined,
    configText: out.config ?? undefined,
    header: (shard) => headers.get(shard) ?? new Error(l10n.t('the file is missing')),
    chip,
  };
  const { findings, summary } = inspectQuantDescription(text, ctx);
  return { description: summary, findings, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warning').length };
}

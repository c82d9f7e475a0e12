import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import type { NpuSmiInfo } from '../npu/smi';
import { comparePep440 } from '../knowledge/compat';
import { knownQuantTypes, MEMORY_RULE } from './facts';
import type { QuantizePlan } from './plan';

/**
 * Checks before a quantization job starts, each with the facts it used and a fix, like serving's pre-launch
 * checks: host RAM against the tool's own rule (model-wise 2–3× the model, layer-wise 2–3× one layer), disk for
 * the output, the NPUs idle, msModelSlim present with the asked quant type, pydantic new enough, an empty
 * output folder. Pure: the host facts come from python/quantize/probe.py `host`.
 */

export const HostFactsSchema = z.object({
  memAvailable: z.number().nullable(),
  memTotal: z.number().nullable(),
  diskFree: z.number().nullable(),
  diskPath: z.string().nullable(),
  out: z.object({ path: z.string(), exists: z.boolean(), entries: z.number().int().nullable() }),
  msmodelslim: z.object({
    command: z.string().nullable(),
    version: z.string().nullable(),
    source: z.string().nullable(),
    quantTypes: z.array(z.string()).nullable(),
    error: z.string().nullable(),
  }),
  pydantic: z.string().nullable(),
  python: z.string(),
  simulated: z.boolean(),
});
export type HostFacts = z.infer<typeof HostFactsSchema>;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export interface QuantCheck {
  id: string;
  status: CheckStatus;
  title: string;
  detail: string;
  fix: string | null;
  source?: string;
}

export interface PrecheckInput {
  plan: QuantizePlan;
  host: HostFacts;
  npu: NpuSmiInfo | null;
  /** Logical devices the job will use. */
  devices: number[];
  /** The tool: one-click `msmodelslim quant` or a legacy example script. */
  mode: 'cli' | 'script';
  quantType?: string;
}

const GiB = 1024 ** 3;
/** "12.3 GiB", or "0.4 MiB" for the tiny models of a simulated host. */
const gib = (b: number) => (b >= GiB / 10 ? `${(b / GiB).toFixed(1)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`);

export function precheck(i: PrecheckInput): { checks: QuantCheck[]; ok: boolean } {
  const checks = [memoryCheck(i), diskCheck(i), outCheck(i), devicesCheck(i), ...toolChecks(i)];
  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}

function memoryCheck({ plan, host }: PrecheckInput): QuantCheck {
  const title = l10n.t('Host memory');
  const model = plan.modelBytes;
  if (host.memAvailable === null || !model) {
    return { id: 'host.memory', status: 'skip', title, detail: l10n.t('free memory or model size unknown'), fix: null };
  }
  const layer = plan.largestLayerBytes;
  const detail = l10n.t('{0} available; model {1} (model-wise needs {2}–{3}){4}', gib(host.memAvailable), gib(model), gib(model * MEMORY_RULE.low), gib(model * MEMORY_RULE.high),
    layer ? l10n.t(', largest layer {0} (layer-wise needs {1}–{2})', gib(layer), gib(layer * MEMORY_RULE.low), gib(layer * MEMORY_RULE.high)) : '');
  const layerWise = l10n.t('Quantize layer by layer: give a --config YAML with runner: layer_wise (or dp_layer_wise with several devices); it needs 2–3 times one layer instead of the whole model.');
  if (host.memAvailable >= model * MEMORY_RULE.high) return { id: 'host.memory', status: 'pass', title, detail, fix: null, source: MEMORY_RULE.source };
  if (layer !== null && host.memAvailable < layer * MEMORY_RULE.low) {
    return { id: 'host.memory', status: 'fail', title, detail, fix: l10n.t('Not even one layer fits: free memory on the host (other jobs?) or use a host with more RAM.'), source: MEMORY_RULE.source };
  }
  return { id: 'host.memory', status: 'warn', title, detail, fix: layerWise, source: MEMORY_RULE.source };
}

function diskCheck({ plan, host }: PrecheckInput): QuantCheck {
  const title = l10n.t('Disk for the output');
  if (host.diskFree === null || !plan.modelBytes) return { id: 'host.disk', status: 'skip', title, detail: l10n.t('free disk or model size unknown'), fix: null };
  // 8-bit weights are about half of BF16; scales and float layers add to it. The float size is a safe bound.
  const need = plan.modelBytes * 0.6;
  const detail = l10n.t('{0} free at {1}; the output needs about {2} (at most {3})', gib(host.diskFree), host.diskPath ?? '?', gib(need), gib(plan.modelBytes));
  const status: CheckStatus = host.diskFree < need ? 'fail' : host.diskFree < plan.modelBytes ? 'warn' : 'pass';
  return { id: 'host.disk', status, title, detail, fix: status === 'pass' ? null : l10n.t('Choose an output folder on a file system with more free space (--out).') };
}

function outCheck({ host }: PrecheckInput): QuantCheck {
  const title = l10n.t('Output folder');
  if (host.out.exists && host.out.entries === null) return { id: 'out.folder', status: 'fail', title, detail: l10n.t('{0} exists and is not a folder', host.out.path), fix: l10n.t('Choose another --out.') };
  if (host.out.entries) return { id: 'out.folder', status: 'fail', title, detail: l10n.t('{0} already holds {1} file(s)', host.out.path, host.out.entries), fix: l10n.t('Choose an empty or new folder: msModelSlim would mix its files with what is there.') };
  return { id: 'out.folder', status: 'pass', title, detail: host.out.exists ? l10n.t('{0} (empty)', host.out.path) : l10n.t('{0} (will be created)', host.out.path), fix: null };
}

function devicesCheck({ npu, devices }: PrecheckInput): QuantCheck {
  const title = l10n.t('NPUs idle');
  if (!npu) return { id: 'npu.idle', status: 'skip', title, detail: l10n.t('npu-smi could not be read'), fix: null };
  const missing = devices.filter((d) => !npu.devices[d]);
  if (missing.length) return { id: 'npu.idle', status: 'fail', title, detail: l10n.t('device(s) {0} do not exist ({1} visible)', missing.join(','), npu.devices.length), fix: l10n.t('Pick devices from 0 to {0} with --devices.', npu.devices.length - 1) };
  const busy = npu.processes.filter((p) => devices.some((d) => npu.devices[d].npuId === p.npuId && npu.devices[d].chipId === p.chipId));
  if (busy.length) {
    return {
      id: 'npu.idle', status: 'fail', title,
      detail: busy.map((p) => l10n.t('NPU {0} chip {1}: {2} (pid {3}, {4} MB)', p.npuId, p.chipId, p.name, p.pid, p.memoryMB)).join('; '),
      fix: l10n.t('Stop those processes or choose other devices with --devices.'),
    };
  }
  return { id: 'npu.idle', status: 'pass', title, detail: l10n.t('device(s) {0}: no processes', devices.join(',')), fix: null };
}

function toolChecks({ host, mode, quantType }: PrecheckInput): QuantCheck[] {
  const out: QuantCheck[] = [];
  const ms = host.msmodelslim;
  const title = l10n.t('msModelSlim');
  if (!ms.version && !ms.command) {
    out.push({ id: 'tool.msmodelslim', status: 'fail', title, detail: ms.error ?? l10n.t('not installed'), fix: l10n.t('Install it: git clone https://gitcode.com/Ascend/msmodelslim.git -b 26.0.0 && cd msmodelslim && bash install.sh') });
  } else if (mode === 'cli' && !ms.command) {
    out.push({ id: 'tool.msmodelslim', status: 'fail', title, detail: l10n.t('msmodelslim {0} is installed but the msmodelslim command is not on PATH', ms.version ?? '?'), fix: l10n.t('Use a release with the one-click command (26.0.0 or newer), or run a legacy example script with --script.') });
  } else {
    const types = ms.quantTypes ?? knownQuantTypes(ms.version);
    const unknown = quantType && !types.includes(quantType.toLowerCase());
    out.push({
      id: 'tool.msmodelslim', status: unknown ? 'fail' : 'pass', title,
      detail: l10n.t('version {0}; --quant_type {1}{2}', ms.version ?? '?', types.join(', '), ms.quantTypes ? '' : l10n.t(' (from the release notes: its help could not be read)')),
      fix: unknown ? l10n.t('{0} is not a quant type of this msModelSlim; use one of {1} (there is no w4a16: W4A16 comes from a --config YAML).', quantType!, types.join(', ')) : null,
    });
  }
  if (host.pydantic && comparePep440(host.pydantic, '2.10.1') < 0) {
    out.push({ id: 'tool.pydantic', status: 'fail', title: 'pydantic', detail: l10n.t('pydantic {0} is installed; msModelSlim needs >= 2.10.1', host.pydantic), fix: l10n.t('pip install "pydantic>=2.10.1"') });
  }
  return out;
}

import { hostFamily } from '../npu/family';
import { parseNpuSmiInfo, type NpuDevice, type NpuSmiInfo } from '../npu/smi';
import type { CommandResult, ProbeData } from '../probe/schema';
import type { Versions } from './report';

/** The facts the checks reason about, derived (purely) from one probe's raw data. */
export interface HostFacts {
  simulated: boolean;
  role: 'npu' | 'gpu' | 'none';
  smi: {
    state: 'ok' | 'missing' | 'timeout' | 'error' | 'unparsed';
    result: CommandResult | null;
    info: NpuSmiInfo | null;
  };
  devices: Array<NpuDevice & { logicalId: number }>;
  processes: Array<{ npuId: number; chipId: number; pid: number; name: string; memoryMB: number; cmdline: string | null; user: string | null }>;
  family: string;
  versions: Versions;
  gpus: Array<{ index: string; name: string; memTotalMB: number | null; memUsedMB: number | null; driver: string | null }>;
  data: ProbeData;
}

function pkg(data: ProbeData, name: string): string | null {
  return data.packages[name]?.version ?? null;
}

export function deriveFacts(data: ProbeData): HostFacts {
  const r = data.commands.npuSmiInfo ?? null;
  let state: HostFacts['smi']['state'];
  let info: NpuSmiInfo | null = null;
  if (!r || !r.found) state = 'missing';
  else if (r.timedOut) state = 'timeout';
  else {
    info = parseNpuSmiInfo(r.stdout);
    if (r.code !== 0 && !info.ok) state = 'error';
    else state = info.ok ? 'ok' : 'unparsed';
  }
  const devices = (info?.devices ?? []).map((d, i) => ({ ...d, logicalId: d.deviceId ?? i }));
  const processes = (info?.processes ?? []).map((p) => {
    const proc = data.processes[String(p.pid)];
    return {
      npuId: p.npuId,
      chipId: p.chipId,
      pid: p.pid,
      name: p.name || proc?.comm || '',
      memoryMB: p.memoryMB,
      cmdline: proc?.cmdline ?? null,
      user: proc?.user ?? null,
    };
  });
  const gpus: HostFacts['gpus'] = [];
  const nv = data.commands.nvidiaSmi;
  if (nv && nv.found && nv.code === 0) {
    for (const line of nv.stdout.split('\n')) {
      const f = line.split(',').map((s) => s.trim());
      if (f.length >= 5 && /^\d+$/.test(f[0])) {
        gpus.push({ index: f[0], name: f[1], memTotalMB: Number(f[2]) || null, memUsedMB: Number.isFinite(Number(f[3])) ? Number(f[3]) : null, driver: f[4] || null });
      }
    }
  }
  const role: HostFacts['role'] =
    state !== 'missing' ? 'npu' : gpus.length > 0 ? 'gpu' : data.ascend?.cann ? 'npu' : 'none';
  return {
    simulated: data.simulated,
    role,
    smi: { state, result: r, info },
    devices,
    processes,
    family: devices.length ? hostFamily(devices.map((d) => d.name)) : 'none',
    versions: {
      cann: data.ascend?.cann?.version ?? null,
      driver: data.ascend?.driver?.version ?? null,
      firmware: data.ascend?.firmware?.version ?? null,
      python: data.python?.version ?? null,
      torch: pkg(data, 'torch'),
      torch_npu: pkg(data, 'torch_npu'),
      vllm: pkg(data, 'vllm'),
      vllm_ascend: pkg(data, 'vllm_ascend'),
      transformers: pkg(data, 'transformers'),
      lm_eval: pkg(data, 'lm_eval'),
      msmodelslim: pkg(data, 'msmodelslim'),
      triton_ascend: pkg(data, 'triton_ascend'),
    },
    gpus,
    data,
  };
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/** DIR/sim.json: what the simulated tools (python/sim/*.py) read. Every field is simulated. */
export const SimConfigSchema = z.object({
  simulated: z.literal(true),
  schema: z.literal(1),
  createdBy: z.string(),
  createdAt: z.string(),
  root: z.string(),
  /** npu-smi Name column value. */
  chip: z.string().min(1),
  family: z.enum(['A2', 'A3', '910', '310P']),
  /** NPU cards. */
  devices: z.number().int().min(1).max(64),
  chipsPerNpu: z.number().int().min(1).max(4),
  npuIds: z.array(z.number().int().min(0)).optional(),
  hbmTotalMB: z.number().int().min(0),
  ddrTotalMB: z.number().int().min(0),
  socName: z.string().optional(),
  arch: z.string(),
  /** Interpreter the simulated tools run with (resolved at creation; also a good default for probes). */
  python: z.string().optional(),
  /** Driver (HDK) package = npu-smi version. */
  driver: z.string(),
  firmware: z.string(),
  release: z.object({
    vllmAscend: z.string(),
    vllm: z.string(),
    cann: z.string(),
    torch: z.string(),
    torchNpu: z.string(),
    tritonAscend: z.string().nullable(),
    transformers: z.string(),
    pythonRange: z.tuple([z.string(), z.string()]),
    source: z.string(),
  }),
  paths: z.object({
    ascendRoot: z.string(),
    toolkitHome: z.string(),
    cannInstallInfo: z.string(),
    sitePackages: z.string(),
    bin: z.string(),
  }),
  faults: z
    .object({
      npuSmiHang: z.boolean().optional(),
      npuSmiError: z.string().optional(),
      health: z.record(z.string(), z.string()).optional(),
      hccnLinkDown: z.array(z.number().int()).optional(),
      /** NPU ports whose TLS switch is on (hccn_tool -tls -g); off elsewhere. */
      hccnTlsEnabled: z.array(z.number().int()).optional(),
    })
    .default({}),
  /** The simulated RoCE network: a folder of symlinks to the simulated hosts on it (hccn_tool -ping). */
  hccnFabric: z.string().optional(),
  /** Free-form settings of the other simulators (serving, OpenAI server); owned by their engineers. */
  serve: z.record(z.string(), z.unknown()).optional(),
});
export type SimConfig = z.infer<typeof SimConfigSchema>;

export function readSimConfig(dir: string): SimConfig {
  const file = path.join(dir, 'sim.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = SimConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Rewrites DIR/sim.json with a change (validated), e.g. to inject a fault in a test. */
export function updateSimConfig(dir: string, change: (c: SimConfig) => SimConfig): SimConfig {
  const next = SimConfigSchema.parse(change(readSimConfig(dir)));
  fs.writeFileSync(path.join(dir, 'sim.json'), JSON.stringify(next, null, 2) + '\n');
  return next;
}

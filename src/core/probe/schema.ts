import { z } from 'zod';

/**
 * What python/env_probe.py prints (schema 1). Validated on this side of the wire: anything else —
 * garbage, a truncated object, a newer schema — becomes a ProbeFailure with a reason, never a crash.
 * Unknown keys are kept (loose objects) so a newer probe's extra facts survive a snapshot round trip.
 */

const nullableStr = z.string().nullable();
const nullableNum = z.number().nullable();

export const CommandResultSchema = z.looseObject({
  argv: z.array(z.string()),
  found: z.boolean(),
  code: nullableNum.default(null),
  signal: nullableNum.default(null),
  timedOut: z.boolean().default(false),
  ms: z.number().default(0),
  stdout: z.string().default(''),
  stderr: z.string().default(''),
  nonUtf8: z.boolean().default(false),
  error: nullableStr.default(null),
  path: z.string().optional(),
});
export type CommandResult = z.infer<typeof CommandResultSchema>;

const VersionFileSchema = z.looseObject({
  version: nullableStr,
  file: z.string(),
  raw: nullableStr,
});

const PackageSchema = z
  .looseObject({ version: nullableStr, location: nullableStr.optional(), error: z.string().optional() })
  .nullable();

export const ProbeDataSchema = z.looseObject({
  probe: z.literal('ascend-adapt env_probe'),
  schema: z.literal(1),
  startedAt: z.string(),
  durationMs: z.number(),
  simulated: z.boolean(),
  simRoot: nullableStr,
  steps: z.array(z.looseObject({ name: z.string(), ms: z.number(), ok: z.boolean(), error: nullableStr })),
  host: z
    .looseObject({
      hostname: z.string(),
      os: nullableStr,
      kernel: nullableStr,
      arch: nullableStr,
      cpuModel: nullableStr,
      cpuCount: nullableNum,
      memTotalMB: nullableNum,
      memAvailableMB: nullableNum,
      user: nullableStr,
      home: nullableStr,
    })
    .nullable(),
  python: z.looseObject({ version: z.string(), executable: nullableStr, implementation: nullableStr }).nullable(),
  disk: z.array(
    z.looseObject({
      path: z.string(),
      exists: z.boolean(),
      probePath: z.string(),
      freeMB: nullableNum,
      totalMB: nullableNum,
      error: nullableStr,
    }),
  ),
  ascend: z
    .looseObject({
      arch: z.string(),
      roots: z.array(z.looseObject({ path: z.string(), source: z.string() })),
      cann: VersionFileSchema.extend({
        realFile: z.string(),
        found: z.string(),
        layout: z.enum(['cann', 'ascend-toolkit', 'nnrt']),
        installPath: nullableStr.optional(),
      }).nullable(),
      cannInstalls: z.array(z.looseObject({ version: nullableStr, realFile: z.string(), layout: z.string() })),
      driver: VersionFileSchema.nullable(),
      firmware: VersionFileSchema.nullable(),
      installInfo: z.looseObject({ file: z.string(), raw: nullableStr, driverPath: nullableStr.optional() }).nullable(),
      nnal: z
        .looseObject({
          atbHome: nullableStr,
          libatb: nullableStr,
          setEnvFile: nullableStr,
          installedLibatb: z.array(z.string()).default([]),
        })
        .nullable(),
      setEnv: z
        .looseObject({ cann: z.boolean(), cannEvidence: z.string(), atb: z.boolean(), atbEvidence: z.string() })
        .nullable(),
    })
    .nullable(),
  packages: z.record(z.string(), PackageSchema),
  env: z.record(z.string(), z.string()),
  envRedacted: z.array(z.string()),
  commands: z.looseObject({
    npuSmiInfo: CommandResultSchema.optional(),
    nvidiaSmi: CommandResultSchema.optional(),
    hccn: z
      .looseObject({
        path: nullableStr,
        requested: z.boolean(),
        links: z.array(
          z.looseObject({
            device: z.number(),
            status: nullableStr,
            result: CommandResultSchema,
            /** hccn_tool -i N -net_health / -ip / -tls -g of the same port (raw outputs, parsed in core/cluster/hccn.ts). */
            queries: z.record(z.string(), CommandResultSchema).optional(),
          }),
        ),
        /** /etc/hccn.conf (a simulated host's own): where, whether it is there, its text. */
        conf: z.looseObject({ path: z.string(), exists: z.boolean(), raw: nullableStr }).nullable().optional(),
      })
      .optional(),
  }),
  /** --model DIR: the model folder's fingerprint, to compare it across nodes. */
  model: z
    .looseObject({
      path: z.string(),
      exists: z.boolean(),
      config: nullableStr,
      index: nullableStr,
      indexName: nullableStr,
      weights: z.number(),
      bytes: z.number(),
      error: nullableStr,
    })
    .optional(),
  processes: z.record(
    z.string(),
    z.looseObject({ alive: z.boolean(), comm: nullableStr, cmdline: nullableStr, user: nullableStr }),
  ),
});
export type ProbeData = z.infer<typeof ProbeDataSchema>;

export type ProbeFailureKind =
  | 'no-python' // python3 missing on the host
  | 'transport' // could not run anything (connection, spawn, upload)
  | 'timeout' // the probe did not finish in time
  | 'killed' // ended by a signal halfway
  | 'exit' // exited non-zero without a result
  | 'empty' // printed nothing
  | 'non-utf8' // bytes that are not UTF-8 where ASCII JSON was expected
  | 'truncated' // JSON that stops halfway
  | 'garbage' // something that is not the probe's JSON
  | 'schema'; // JSON, but not what this version understands

export interface ProbeFailure {
  ok: false;
  kind: ProbeFailureKind;
  /** English, technical; the checks turn it into a translated verdict with a fix. */
  message: string;
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  /** The first bytes of stdout (decoded leniently), for the person reading the failure. */
  stdoutHead: string;
  ms: number;
}

export interface ProbeSuccess {
  ok: true;
  data: ProbeData;
  /** Extra lines the host printed around the JSON (e.g. a login banner), kept for the record. */
  noise: string;
  stderr: string;
  ms: number;
}

export type ProbeOutcome = ProbeSuccess | ProbeFailure;

/** An outcome as stored in a snapshot (and validated when read back). */
export const ProbeOutcomeSchema = z.union([
  z.object({ ok: z.literal(true), data: ProbeDataSchema, noise: z.string().default(''), stderr: z.string().default(''), ms: z.number() }),
  z.object({
    ok: z.literal(false),
    kind: z.enum(['no-python', 'transport', 'timeout', 'killed', 'exit', 'empty', 'non-utf8', 'truncated', 'garbage', 'schema']),
    message: z.string(),
    exitCode: z.number().nullable(),
    signal: z.string().nullable(),
    stderr: z.string(),
    stdoutHead: z.string(),
    ms: z.number(),
  }),
]);

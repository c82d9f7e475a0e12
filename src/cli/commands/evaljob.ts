import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DetachedJobs, hostPython } from '../../core/jobs/index';
import { LocalTransport } from '../../core/transport/local';
import type { Transport } from '../../core/transport/transport';
import { UsageError, type CliIO } from '../command';
import { targetsFrom } from '../target';
import { loadProfile, openProfileTarget, profileOptions, type ProfileValues } from './serve';

/**
 * What `accuracy` and `perf` share: where the job runs and which endpoint it measures.
 *  --profile NAME   the profile's host (or --host/--local/--sim), endpoint http://127.0.0.1:<port> ON that host,
 *                   model = the profile's served model name;
 *  --endpoint URL   any running OpenAI-compatible server; the job runs on this machine (or --host ALIAS /
 *                   --sim DIR), so URL is as seen from there; --model NAME or the first model it lists.
 */
export const evalTargetOptions = {
  ...profileOptions,
  endpoint: { type: 'string' },
  model: { type: 'string' },
  'run-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface EvalTargetValues extends ProfileValues {
  endpoint?: string;
  model?: string;
  'run-dir'?: string;
}

export interface EvalTarget {
  transport: Transport;
  baseUrl: string;
  model: string | undefined;
  simRoot: string | undefined;
  jobs: DetachedJobs;
  hostLabel: string;
}

export async function openEvalTarget(values: EvalTargetValues, io: CliIO): Promise<EvalTarget> {
  if ((values.endpoint === undefined) === (values.profile === undefined)) throw new UsageError(l10n.t('give either --profile NAME or --endpoint URL'));
  const root = io.env.ASCEND_ADAPT_JOBS_ROOT || undefined;
  if (values.profile !== undefined) {
    if (values.model) throw new UsageError(l10n.t('--model goes with --endpoint; a profile names its model'));
    const profile = loadProfile(values, io);
    const transport = await openProfileTarget(values, profile);
    return {
      transport,
      baseUrl: `http://127.0.0.1:${profile.port}`,
      model: profile.servedModelName ?? profile.modelPath,
      simRoot: profile.simRoot,
      jobs: new DetachedJobs(transport, { root, python: await hostPython(transport) }),
      hostLabel: transport.label,
    };
  }
  let url: URL;
  try {
    url = new URL(values.endpoint!);
  } catch {
    throw new UsageError(l10n.t('--endpoint wants a URL like http://127.0.0.1:8000, got {0}', JSON.stringify(values.endpoint)));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(l10n.t('--endpoint wants an http:// URL, got {0}', values.endpoint!));
  const given = [values.sim !== undefined, values.local === true, (values.host ?? []).length > 0].filter(Boolean).length;
  if (given > 1) throw new UsageError(l10n.t('use only one of --sim, --local and --host'));
  const transport = (values.host ?? []).length > 0 ? await targetsFrom(values)[0].open() : new LocalTransport();
  return {
    transport,
    baseUrl: values.endpoint!.replace(/\/+$/, ''),
    model: values.model,
    simRoot: values.sim !== undefined ? path.resolve(io.cwd, values.sim) : undefined,
    jobs: new DetachedJobs(transport, { root, python: await hostPython(transport) }),
    hostLabel: transport.label,
  };
}

/** Ctrl-C while following a job: stop the job (TERM to its group), then finish reading what it wrote. */
export function interruptOnSigint(io: CliIO): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = () => {
    if (!ac.signal.aborted) io.stderr.write(l10n.t('stopping the job (it saves what it has)…') + '\n');
    ac.abort();
  };
  process.on('SIGINT', on);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', on) };
}

export function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(l10n.t('{0} wants a whole number of 1 or more, got {1}', flag, v));
  return n;
}

export function positiveNumber(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(l10n.t('{0} wants a number above 0, got {1}', flag, v));
  return n;
}

/** Columns padded to their widest cell (cells are already translated). */
export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) => r.map((c, i) => c + ' '.repeat(w[i]! - [...c].length)).join('  ').trimEnd()).join('\n') + '\n';
}

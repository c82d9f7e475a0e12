import { ensureScripts, scriptBundle } from '../hostscripts/upload';
import type { Transport } from '../transport/transport';
import { TransportError } from '../transport/transport';
import { ProbeDataSchema, type ProbeFailure, type ProbeFailureKind, type ProbeOutcome } from './schema';

export interface ProbeOptions {
  /** Interpreter on the host (default python3). */
  python?: string;
  /** Paths whose free disk space matters (the model folder). */
  paths?: string[];
  /** Whole probe, including the round trip (default 90 s). */
  timeoutMs?: number;
  /** Per external command on the host (npu-smi, hccn_tool, nvidia-smi), seconds (default 15). */
  commandTimeoutS?: number;
  /** Query NPU network links with hccn_tool (multi-node). */
  hccn?: boolean;
  /** A model folder to fingerprint (config.json and index hashes), to compare it across nodes. */
  model?: string;
  /** Extra environment for the probe. */
  env?: Record<string, string>;
  /**
   * A file on the host to source (POSIX sh) before the probe runs — e.g. a simulated host's env.sh or
   * a site's CANN set_env.sh — for hosts whose login environment is not the run environment.
   */
  sourceFirst?: string;
  signal?: AbortSignal;
}

const HEAD = 400;

function fail(kind: ProbeFailureKind, message: string, extra: Partial<ProbeFailure> = {}): ProbeFailure {
  return { ok: false, kind, message, exitCode: null, signal: null, stderr: '', stdoutHead: '', ms: 0, ...extra };
}

/**
 * Turns the bytes a probe run produced into an outcome. Pure (exported for tests and for reading
 * outputs captured elsewhere). The JSON object is the last line that starts with `{`; anything
 * around it (a login banner, a motd) is kept as `noise`.
 */
export function interpretProbeOutput(stdout: Buffer, stderr: Buffer, exitCode: number | null, signal: string | null, timedOut: boolean, ms: number): ProbeOutcome {
  const errText = stderr.toString('utf8').slice(-4000);
  const lenient = stdout.toString('utf8');
  const base = { exitCode, signal, stderr: errText, stdoutHead: lenient.slice(0, HEAD), ms };
  if (timedOut) return fail('timeout', `the probe did not finish within ${Math.round(ms / 1000)} s`, base);
  if (exitCode === 127 && /not found|No such file/i.test(errText) && stdout.length === 0) {
    return fail('no-python', `python3 is not available: ${errText.trim().split('\n').pop() ?? ''}`, base);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(stdout);
  } catch {
    if (signal) return fail('killed', `the probe was killed by ${signal} and left undecodable output`, base);
    return fail('non-utf8', 'the output is not UTF-8 (expected the ASCII JSON of env_probe.py)', base);
  }
  const lines = text.split('\n');
  let idx = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].trimStart().startsWith('{')) {
      idx = i;
      break;
    }
  }
  if (idx < 0) {
    if (signal) return fail('killed', `the probe was killed by ${signal} before it printed its result`, base);
    if (text.trim() === '') {
      if (exitCode !== 0) return fail('exit', `the probe exited with code ${exitCode} without a result${errText ? `: ${lastLine(errText)}` : ''}`, base);
      return fail('empty', 'the probe printed nothing', base);
    }
    return fail('garbage', 'the output is not the probe\'s JSON', base);
  }
  const jsonText = lines.slice(idx).join('\n').trim();
  let raw: unknown;
  try {
    raw = JSON.parse(jsonText);
  } catch (e) {
    if (signal) return fail('killed', `the probe was killed by ${signal} halfway through its output`, base);
    const truncated = !jsonText.endsWith('}');
    return fail(truncated ? 'truncated' : 'garbage', truncated ? `the probe's JSON stops after ${jsonText.length} characters` : `invalid JSON: ${(e as Error).message}`, base);
  }
  const parsed = ProbeDataSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return fail('schema', `the probe's JSON is not what this version understands: ${issues}`, base);
  }
  const noise = [...lines.slice(0, idx)].join('\n').trim();
  return { ok: true, data: parsed.data, noise, stderr: errText, ms };
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? '';
}

// One shell line does it all: source the setup file (if any), find the probe (an absolute path, or the
// content hash of the uploaded scripts under ~/.ascend-adapt/scripts), run it. Exit 98 = not uploaded yet.
const LAUNCH = [
  'src=$0; py=$1; probe=$2; shift 2',
  'if [ "$src" != "-" ]; then [ -r "$src" ] || { echo "cannot source $src: not readable" >&2; exit 97; }; . "$src" >&2; fi',
  'case $probe in /*) ;; *) probe="$HOME/.ascend-adapt/scripts/$probe/env_probe.py" ;; esac',
  '[ -f "$probe" ] || exit 98',
  'exec "$py" "$probe" "$@"',
].join('\n');
const NOT_UPLOADED = 98;

/**
 * Runs python/env_probe.py once on the host behind `transport`. Never throws. Over ssh the common case is
 * a single exec (the scripts are found by content hash); only when they are missing is the upload done
 * (ensureScripts) and the probe run again.
 */
export async function runProbe(transport: Transport, opts: ProbeOptions = {}): Promise<ProbeOutcome> {
  const python = opts.python ?? 'python3';
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const args = ['--timeout', String(opts.commandTimeoutS ?? 15)];
  for (const p of opts.paths ?? []) args.push('--path', p);
  if (opts.hccn) args.push('--hccn');
  if (opts.model) args.push('--model', opts.model);
  // The probe's own budget ends before ours, so a slow host still returns what it has.
  args.push('--budget', String(Math.max(1, Math.floor(timeoutMs / 1000) - 5)));

  const upload = async (): Promise<string | ProbeFailure> => {
    try {
      return await ensureScripts(transport, python);
    } catch (e) {
      const err = e as TransportError;
      const kind: ProbeFailureKind = err.causeCode === 'NO_PYTHON' || err.causeCode === 'ENOENT' ? 'no-python' : 'transport';
      return fail(kind, err.message, { ms: Date.now() - t0 });
    }
  };
  const exec = async (probe: string): Promise<ProbeOutcome | 'missing'> => {
    const direct = transport.kind === 'local' && !opts.sourceFirst;
    const argv = direct
      ? [python, `${probe}/env_probe.py`, ...args]
      : ['/bin/sh', '-c', LAUNCH, opts.sourceFirst ?? '-', python, probe.startsWith('/') ? `${probe}/env_probe.py` : probe, ...args];
    try {
      const r = await transport.exec(argv, { timeoutMs, env: opts.env, signal: opts.signal });
      if (!direct && r.code === NOT_UPLOADED && r.stdout.length === 0) return 'missing';
      return interpretProbeOutput(r.stdout, r.stderr, r.code, r.signal, r.timedOut, Date.now() - t0);
    } catch (e) {
      const err = e as TransportError;
      if (err.causeCode === 'ENOENT') return fail('no-python', `${python} is not available on ${transport.label}: ${err.message}`, { ms: Date.now() - t0 });
      return fail('transport', err.message ?? String(e), { ms: Date.now() - t0 });
    }
  };

  if (transport.kind !== 'local') {
    const first = await exec(scriptBundle().hash);
    if (first !== 'missing') return first;
  }
  const dir = await upload();
  if (typeof dir !== 'string') return dir;
  const second = await exec(dir);
  return second === 'missing' ? fail('transport', `the host scripts are not in ${dir} after the upload`, { ms: Date.now() - t0 }) : second;
}

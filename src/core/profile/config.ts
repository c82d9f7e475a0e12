import type { NamedProfile } from '../profiles/schema';

/**
 * vLLM's `--profiler-config` (vllm/config/profiler.py): the JSON form Ascend Adapt passes, and reading back
 * which directory a server writes to from its argv (JSON `--profiler-config '{…}'`, `--profiler-config={…}` or
 * the dotted `--profiler-config.torch_profiler_dir=DIR`). vLLM-Ascend honours torch_profiler_dir,
 * torch_profiler_with_stack and torch_profiler_with_memory; with_stack defaults to true in vLLM, so it is
 * always written (false unless asked: stacks make the trace much larger).
 */

export const PROFILER_FLAG = '--profiler-config';

export function profilerConfigArgs(dir: string, withStack = false): string[] {
  return [PROFILER_FLAG, JSON.stringify({ profiler: 'torch', torch_profiler_dir: dir, torch_profiler_with_stack: withStack })];
}

export interface ProfilerSetting {
  profiler: string | null;
  dir: string | null;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The profiler a `vllm serve` argv configures; null when it has no --profiler-config at all. */
export function profilerOf(argv: readonly string[]): ProfilerSetting | null {
  let cfg: Record<string, unknown> | null = null;
  const into = (more: Record<string, unknown>) => (cfg = { ...(cfg ?? {}), ...more });
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === PROFILER_FLAG || a.startsWith(`${PROFILER_FLAG}=`)) {
      const text = a.includes('=') ? a.slice(PROFILER_FLAG.length + 1) : argv[++i];
      const v = text === undefined ? null : parseValue(text);
      into(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
    } else if (a.startsWith(`${PROFILER_FLAG}.`)) {
      const body = a.slice(PROFILER_FLAG.length + 1);
      const eq = body.indexOf('=');
      const key = eq < 0 ? body : body.slice(0, eq);
      const val = eq < 0 ? argv[++i] : body.slice(eq + 1);
      into({ [key]: val === undefined ? null : parseValue(val) });
    }
  }
  const c = cfg as Record<string, unknown> | null;
  if (c === null) return null;
  return { profiler: typeof c.profiler === 'string' ? c.profiler : null, dir: typeof c.torch_profiler_dir === 'string' ? c.torch_profiler_dir : null };
}

/** The profile with --profiler-config added (unless its own extraArgs already configure a profiler). */
export function withProfiler(profile: NamedProfile, dir: string, withStack = false): { profile: NamedProfile; dir: string } {
  const own = profilerOf(profile.extraArgs);
  if (own?.profiler && own.dir) return { profile, dir: own.dir };
  const extraArgs = profile.extraArgs.filter((a, i, all) => !(a.startsWith(PROFILER_FLAG) || all[i - 1] === PROFILER_FLAG));
  return { profile: { ...profile, extraArgs: [...extraArgs, ...profilerConfigArgs(dir, withStack)] }, dir };
}

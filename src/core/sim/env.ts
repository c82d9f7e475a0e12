import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { quoteArg } from '../transport/quote';

/**
 * The environment of a simulated host, as data. `sim create` writes it twice from the same steps:
 * as shell (`DIR/env.sh`, which sources the simulated CANN and NNAL/ATB `set_env.sh`) and as JSON
 * (`DIR/env.json`), so a caller that cannot source a shell (tests, `env-check --sim DIR`, npm start)
 * gets exactly the same variables with `applyEnvSteps`.
 *
 * Semantics (both forms): `set` assigns; `prepend` puts each entry in front of a `:`-list unless it is
 * already in it — so sourcing twice changes nothing (idempotent).
 */

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

export const EnvStepSchema = z.object({
  /** What this step stands for ("CANN set_env.sh", …). */
  name: z.string(),
  /** The shell file that performs this step on the host, or null for env.sh's own lines. */
  file: z.string().nullable(),
  set: z.record(EnvName, z.string()),
  prepend: z.record(EnvName, z.array(z.string().min(1))),
});
export type EnvStep = z.infer<typeof EnvStepSchema>;

export const SimEnvFileSchema = z.object({
  simulated: z.literal(true),
  root: z.string(),
  steps: z.array(EnvStepSchema).min(1),
});
export type SimEnvFile = z.infer<typeof SimEnvFileSchema>;

export function applyEnvSteps(steps: readonly EnvStep[], base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  for (const step of steps) {
    for (const [k, v] of Object.entries(step.set)) env[k] = v;
    for (const [k, list] of Object.entries(step.prepend)) {
      for (const entry of [...list].reverse()) {
        const cur = env[k] ?? '';
        if (`:${cur}:`.includes(`:${entry}:`)) continue;
        env[k] = cur ? `${entry}:${cur}` : entry;
      }
    }
  }
  return env;
}

const PREPEND_FN = [
  '_aa_prepend() {',
  '  eval "_aa_cur=\\${$1-}"',
  '  case ":${_aa_cur}:" in',
  '    *":$2:"*) ;;',
  '    *) if [ -n "$_aa_cur" ]; then eval "$1=\\$2:\\$_aa_cur"; else eval "$1=\\$2"; fi ;;',
  '  esac',
  '  export "$1"',
  '}',
].join('\n');

/** Shell lines performing one step (POSIX sh; sourced from sh, dash, bash or zsh). */
export function stepToShell(step: EnvStep): string {
  const lines: string[] = [PREPEND_FN];
  for (const [k, v] of Object.entries(step.set)) lines.push(`${k}=${quoteArg(v)}; export ${k}`);
  for (const [k, list] of Object.entries(step.prepend)) {
    for (const entry of [...list].reverse()) lines.push(`_aa_prepend ${k} ${quoteArg(entry)}`);
  }
  lines.push('unset _aa_cur', 'unset -f _aa_prepend 2>/dev/null || true');
  return lines.join('\n') + '\n';
}

/** Reads and validates DIR/env.json. Throws an Error naming the file and the problem. */
export function readSimEnv(dir: string): SimEnvFile {
  const file = path.join(dir, 'env.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = SimEnvFileSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: not a simulated-host env file (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  return r.data;
}

/** The environment a command on the simulated host sees: `base` after sourcing DIR/env.sh. */
export function simExecEnv(dir: string, base: Record<string, string | undefined> = process.env): Record<string, string> {
  return applyEnvSteps(readSimEnv(dir).steps, base);
}

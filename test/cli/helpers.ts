import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { LocalTransport } from '../../src/core/transport/local';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BUILT = path.join(ROOT, 'dist', 'cli.js');
export const needBuild = fs.existsSync(BUILT) ? false : 'run npm run build first';

export interface Shell {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs a POSIX sh script in `dir` with `ascend-adapt` on PATH (the built CLI), as a user would paste it. */
  sh(script: string): { code: number; out: string; err: string };
  cleanup(): Promise<void>;
}

/** A temp folder, a PATH with `ascend-adapt` (→ node dist/cli.js) and a private jobs root. */
export function shell(prefix: string): Shell {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const bin = path.join(dir, '.bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'ascend-adapt'), `#!/bin/sh\nexec '${process.execPath}' '${BUILT}' "$@"\n`, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME, LANG: 'C',
    ASCEND_ADAPT_JOBS_ROOT: path.join(dir, '.jobs'), ASCEND_ADAPT_SIM_VLLM_LOAD_SEC: '0.3',
  };
  return {
    dir,
    env,
    sh(script: string) {
      const r = spawnSync('/bin/sh', ['-ec', script], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    },
    async cleanup() {
      // Nothing of ours may be left running, whatever happened.
      const jobs = new DetachedJobs(new LocalTransport(), { root: env.ASCEND_ADAPT_JOBS_ROOT });
      for (const j of await jobs.list().catch(() => [])) if (j.state === 'running') await jobs.stop(j.id, { graceMs: 2000 });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every `ascend-adapt …` command line printed in `text` (shell-quoted words; ends at `;` or the line end). */
export function hintsIn(text: string): string[] {
  return [...text.matchAll(/ascend-adapt(?: (?:'[^']*'|[^\s;'])+)+/g)].map((m) => m[0]);
}

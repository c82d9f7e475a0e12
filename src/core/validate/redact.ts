/** Names collect_env treats as secret (and a few more): their values never enter a report. */
const SECRET_NAME = /secret|token|api[_-]?key|apikey|access|passw|credential|private/i;
export const REDACTED = '<redacted>';

export function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : v]));
}

/** argv with the values of secret-bearing flags (--api-key X, --api-key=X, --hf-token …) replaced. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^(--?[A-Za-z0-9-]+)=(.*)$/.exec(a);
    if (m && SECRET_NAME.test(m[1])) out.push(`${m[1]}=${REDACTED}`);
    else if (/^--?[A-Za-z0-9-]+$/.test(a) && SECRET_NAME.test(a) && i + 1 < argv.length) {
      out.push(a, REDACTED);
      i++;
    } else out.push(a);
  }
  return out;
}

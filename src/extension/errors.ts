/** Error text for people (one line) and for the log (everything). No vscode import: plain-Node tests. */

/** A command argument that did not fit; its message names the command and the argument. */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** One line: the error's message (a non-Error thrown value as text). */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}

/** Everything worth logging: the stack (or message) and each `cause`, a few levels deep. */
export function errorDetail(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && depth < 5; depth++) {
    const text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : describeError(cur);
    parts.push(depth === 0 ? text : `caused by: ${text}`);
    cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
  }
  return parts.join('\n');
}

/** A short description of a value for a log line ("object {"x":1}", "string 'abc'"). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)}`;
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  const ctor = (v as object).constructor?.name;
  let json: string;
  try {
    json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? '';
  } catch {
    json = '(circular)';
  }
  return `${ctor && ctor !== 'Object' ? ctor : 'object'} ${json.length > 120 ? `${json.slice(0, 120)}…` : json}`;
}

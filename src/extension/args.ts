import * as l10n from '@vscode/l10n';
import type { Uri } from 'vscode';
import { z } from 'zod';
import { ArgumentError, describeValue } from './errors';

/**
 * Command arguments, parsed with zod in one place. A command says what each position may hold; VS Code
 * (a tree row, a file from the explorer), a test, a walkthrough link or another extension may call it with
 * anything, so every argument is checked and a bad one ends in a message naming the command and the
 * argument, never in a crash. Rows are recognised by shape, not class, so plain objects work as well
 * ({ hostId }, { jobId }). Missing arguments are `undefined` (the command then asks); positions past
 * the declared ones are ignored (VS Code adds the multi-selection of a tree).
 *
 * No vscode import (plain-Node tests); a Uri is recognised by its shape.
 */

const id = z.string().trim().min(1);
const msg = (text: () => string) => ({ error: () => text() });

function isUri(v: unknown): v is Uri {
  if (typeof v !== 'object' || v === null) return false;
  const u = v as Record<string, unknown>;
  return typeof u.scheme === 'string' && typeof u.fsPath === 'string' && typeof u.with === 'function' && typeof u.toString === 'function';
}

/** A vscode.Uri. */
export const uri = z.custom<Uri>(isUri, msg(() => l10n.t('expected a file URI')));

/** A host: its id ("local", "sim", "ssh:ALIAS"), a Hosts or Environment view row, or { hostId }. */
export const hostRef = z.union(
  [
    id,
    z.object({ host: z.object({ id }) }).transform((n) => n.host.id),
    z.object({ result: z.object({ hostId: id }) }).transform((n) => n.result.hostId),
    z.object({ hostId: id }).transform((o) => o.hostId),
  ],
  msg(() => l10n.t('expected a host id (local, sim, ssh:ALIAS) or a host row')),
);

/** A serving job: its id, a Jobs view row, or { jobId }. */
export const jobRef = z.union(
  [id, z.object({ job: z.object({ record: z.object({ jobId: id }) }) }).transform((n) => n.job.record.jobId), z.object({ jobId: id }).transform((o) => o.jobId)],
  msg(() => l10n.t('expected a job id or a Jobs view row')),
);

/** A node of a multi-node job: its Jobs view row, or { clusterId, host }. */
export const nodeRef = z.object({ clusterId: id, host: id }, msg(() => l10n.t('expected a node row of a multi-node job, or { clusterId, host }'))).transform((n) => ({ clusterId: n.clusterId, host: n.host }));

/** A validation step: its id (env, serve, perf …) or a Validation view row. */
export const stepRef = z.union(
  [z.string().regex(/^[a-z][a-z-]*$/), z.object({ step: z.object({ id: z.string().regex(/^[a-z][a-z-]*$/) }) }).transform((n) => n.step.id)],
  msg(() => l10n.t('expected a validation step id (env, serve, smoke, accuracy, perf …) or a Validation view row')),
) as z.ZodType<import('../core/validate').StepId>;

/** A report figure id ("accuracy.gsm8k.measured"). */
export const figureRef = z.string().regex(/^[\w.:-]+$/, msg(() => l10n.t('expected a figure id such as accuracy.gsm8k.measured')));

/** Run Validation from a test, a task or a walkthrough link: which profile. */
export const validateRunOptions = z.strictObject({ profile: id.optional() });

/** A report file: its URI or a Reports view row. */
export const reportRef = z.union([uri, z.object({ entry: z.object({ uri }) }).transform((n) => n.entry.uri)], msg(() => l10n.t('expected a report file URI or a Reports view row')));

/** An environment check: its row in the Environment view (only its fix and source are used). */
export const checkRef = z
  .object({ check: z.object({ title: z.string(), fix: z.string().optional(), source: z.string().optional() }) }, msg(() => l10n.t('expected a check row of the Environment view')))
  .transform((n) => n.check);

/** Save Snapshot: the host's row (else the user picks) and, from a test or a task, the file to write. */
export const snapshotTarget = z.union(
  [
    // Most specific first: zod takes the first member that fits (and drops keys it does not declare).
    z.object({ hostId: id, uri: uri.optional() }),
    z.object({ uri }).transform((o) => ({ hostId: undefined, uri: o.uri })),
    z.object({ result: z.object({ hostId: id }) }).transform((n) => ({ hostId: n.result.hostId, uri: undefined })),
  ],
  msg(() => l10n.t('expected an Environment view host row, { hostId }, or { uri }')),
);

const positiveInt = z.number().int().positive();

export const simCreateOptions = z.strictObject({
  dir: z.string().trim().min(1).optional(),
  chip: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  devices: positiveInt.max(64).optional(),
});

export const serveStartOptions = z.strictObject({ profile: id.optional() });

/** New Serving Profile without its questions (a test, a walkthrough link): what it would ask. */
export const createProfileOptions = z.strictObject({
  host: id.optional(),
  modelPath: id.optional(),
  name: z.string().regex(/^\S+$/).optional(),
  tensorParallelSize: z.number().int().min(1).max(64).optional(),
});

/** Seconds: the whole request / silence from the server (the profile's requestTimeoutSec / stallTimeoutSec otherwise). */
const timeouts = { requestTimeout: z.number().positive().optional(), stallTimeout: z.number().positive().optional() };

export const accuracyOptions = z.strictObject({
  tasks: z.array(id).min(1).optional(),
  dataDir: id.optional(),
  limit: positiveInt.optional(),
  ...timeouts,
});

export const perfOptions = z.strictObject({
  concurrency: z.array(positiveInt).min(1).optional(),
  numPrompts: positiveInt.max(1_000_000).optional(),
  inputLen: positiveInt.optional(),
  outputLen: positiveInt.optional(),
  requestRate: z.number().positive().optional(),
  baseline: id.optional(),
  ...timeouts,
});

export const reportFormat = z.enum(['md', 'html'], msg(() => l10n.t('expected "md" or "html"')));

/** A report's language: en or zh-CN. */
export const reportLang = z.enum(['en', 'zh-CN'], msg(() => l10n.t('expected "en" or "zh-CN"')));

/** Argument schemas, one per position; each accepts `undefined` when the argument is optional. */
export type ArgSchemas = readonly z.ZodType[];
export type ParsedArgs<S extends ArgSchemas> = { -readonly [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never };

/** Parses `raw` against `schemas` position by position; throws ArgumentError naming what was wrong. */
export function parseArgs<S extends ArgSchemas>(command: string, schemas: S, raw: readonly unknown[]): ParsedArgs<S> {
  const out: unknown[] = [];
  for (let i = 0; i < schemas.length; i++) {
    const r = schemas[i].safeParse(raw[i]);
    if (r.success) {
      out.push(r.data);
      continue;
    }
    const issue = r.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    throw new ArgumentError(
      l10n.t('{0}: argument {1} is not valid: {2}{3}; got {4}.', command, i + 1, issue?.message ?? 'invalid', where, describeValue(raw[i])),
    );
  }
  return out as ParsedArgs<S>;
}

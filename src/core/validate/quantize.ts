import * as path from 'node:path';
import { en } from '../l10n';
import { checkOutput, hostSite, probeModel, probeOutput, type OutputCheck } from '../quantize/host';
import { QuantizeRefusedError, runQuantize, type QuantizeRecord } from '../quantize/job';
import { quantMethodOf } from '../quantize/plan';
import type { QuantizeData } from './state';
import type { StepContext, StepResult, ValidateStep } from './types';

/**
 * msModelSlim before serving, when the profile says so (`quantize: {from, quantType, …}`): the float
 * checkpoint `from` is quantized into the profile's modelPath as a detached job (src/core/quantize), its
 * output checked like `ascend-adapt lint`, and the adaptation item "GPTQ Int4 → ascend W8A8" cites the job:
 * its command, the log lines of its phases, the description file and its coverage. A modelPath that already
 * holds a clean output is checked and used as it is (a second validation does not quantize again).
 */
export const quantizeStep: ValidateStep = {
  id: 'quantize',
  needs: ['env'],
  applies: (ctx) => ctx.profile.quantize !== undefined,
  async stillValid(ctx) {
    const site = await hostSite(ctx.transport, ctx.profile.simRoot);
    return checkOutput(await probeOutput(site, ctx.profile.modelPath)).errors === 0;
  },
  async run(ctx: StepContext): Promise<StepResult> {
    const q = ctx.profile.quantize!;
    const site = await hostSite(ctx.transport, ctx.profile.simRoot);
    const label = await sourceLabel(ctx, q.replaces ?? q.from);
    const existing = await probeOutput(site, ctx.profile.modelPath);
    if (existing.exists && Object.keys(existing.descriptions).length) {
      const check = checkOutput(existing);
      if (check.errors === 0) return finish(ctx, label, null, check, en('{0} already holds a checked msModelSlim output; not quantized again', ctx.profile.modelPath));
    }
    let rec: QuantizeRecord;
    try {
      rec = await runQuantize(ctx.transport, { model: q.from, out: ctx.profile.modelPath, quantType: q.quantType, modelType: q.modelType, devices: q.devices, yes: q.yes }, {
        simRoot: ctx.profile.simRoot, jobs: ctx.jobs, signal: ctx.signal,
        onProgress: (p) => ctx.progress(`${Math.round(p.fraction * 100)}% ${p.phase}${p.block !== null ? ` ${p.block}/${p.blocks ?? '?'}` : ''}`),
      });
    } catch (e) {
      if (e instanceof QuantizeRefusedError) return { status: 'fail', reason: e.message };
      throw e;
    }
    if (rec.state !== 'succeeded') {
      const why = rec.state === 'needs-confirmation' ? en('msModelSlim asks: {0} (set "yes": true in the profile\'s quantize to accept)', rec.question ?? '') : rec.failure?.message ?? en('the quantize job ended: {0}', rec.state);
      await logEvidence(ctx, rec);
      ctx.state.quantize = { jobId: rec.jobId, item: { title: en('{0} → ascend', label), status: 'fail', basis: en('job {0}: {1}', rec.jobId, why) }, row: { format: en('ascend {0}', q.quantType ?? 'w8a8'), status: 'fail', note: why } };
      return { status: 'fail', reason: why };
    }
    const out = await probeOutput(site, ctx.profile.modelPath);
    return finish(ctx, label, rec, checkOutput(out), null);
  },
};

/** "GPTQ Int4" / "AWQ Int4" / "BF16": what the served checkpoint replaces, from its config.json. */
async function sourceLabel(ctx: StepContext, folder: string): Promise<string> {
  try {
    const { facts } = await probeModel(await hostSite(ctx.transport, ctx.profile.simRoot), folder);
    const method = quantMethodOf(facts.config);
    const qc = (facts.config?.quantization_config ?? {}) as Record<string, unknown>;
    if (method) return `${method.toUpperCase()}${typeof qc.bits === 'number' ? ` Int${qc.bits}` : ''}`;
    const dtype = facts.config?.torch_dtype;
    return typeof dtype === 'string' ? dtype.replace('bfloat16', 'BF16').replace('float16', 'FP16') : 'float';
  } catch {
    return path.basename(folder);
  }
}

async function logEvidence(ctx: StepContext, rec: QuantizeRecord): Promise<{ id: string; lines: string }> {
  const copy = await ctx.book.copyFromHost(ctx.transport, rec.logFile, `${rec.jobId}/quantize.log`);
  const success = rec.evidence.find((l) => /={5,}SUCCESS={5,}|Save quant_model_description_json success/.test(l.text)) ?? rec.evidence[rec.evidence.length - 1];
  const id = ctx.book.add({
    kind: 'log', jobId: rec.jobId, host: ctx.transport.label, startedAt: rec.startedAt, endedAt: rec.endedAt, command: rec.command, file: rec.logFile,
    ...(success ? { line: success.line } : {}), ...(copy ? { copy } : {}),
  });
  return { id, lines: rec.evidence.map((l) => String(l.line)).join(', ') };
}

async function finish(ctx: StepContext, label: string, rec: QuantizeRecord | null, check: OutputCheck, note: string | null): Promise<StepResult> {
  const d = check.description;
  const file = path.posix.join(ctx.profile.modelPath, d?.file ?? 'quant_model_description.json');
  const copy = await ctx.book.copyFromHost(ctx.transport, file, `model/${d?.file ?? 'quant_model_description.json'}`);
  const descEv = ctx.book.add({ kind: 'result', jobId: rec?.jobId ?? null, host: ctx.transport.label, startedAt: rec?.startedAt ?? null, endedAt: rec?.endedAt ?? null, command: rec?.command ?? [], file, ...(copy ? { copy } : {}) });
  const log = rec ? await logEvidence(ctx, rec) : null;
  const status = check.errors ? 'fail' : check.warnings ? 'warn' : 'pass';
  const format = en('ascend {0}', d?.modelQuantType ?? '?');
  const coverage = en('{0}: {1} linear/MoE weights covered, {2} missing ({3})', d?.file ?? '?', d?.covered ?? 0, d?.missing.length ?? 0, descEv);
  const basis = rec && log
    ? en('job {0} on {1}: {2}; log lines {3} ({4}); {5}', rec.jobId, rec.host, rec.display, log.lines, log.id, coverage)
    : `${note ?? ''}; ${coverage}`;
  const data: QuantizeData = { jobId: rec?.jobId ?? null, item: { title: `${label} → ${format}`, status, basis }, row: { format, status, note: coverage } };
  ctx.state.quantize = data;
  const figures = [{ label: 'covered', value: d?.covered ?? null, unit: 'count' }, { label: 'missing', value: d?.missing.length ?? null, unit: 'count' }];
  if (check.errors) return { status: 'fail', reason: check.findings.find((f) => f.severity === 'error')?.message ?? en('the quantized output has errors'), figures };
  return { status, reason: note ?? (check.warnings ? en('{0} warnings in the description', check.warnings) : null), figures };
}

import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { configPath } from '../../core/profiles/load';
import { QuantizeRefusedError, runQuantize, type QuantizeRecord, type QuantizeSpec } from '../../core/quantize/job';
import type { QuantCheck } from '../../core/quantize/precheck';
import { writeQuantizedProfile } from '../../core/quantize/profile';
import type { Transport } from '../../core/transport/transport';
import { defineCommand, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { resolveHosts } from '../target';
import { interruptOnSigint, readOptionFile } from './evaljob';

/**
 * `ascend-adapt quantize (--host ALIAS | --local | --sim DIR) --model FLOAT_DIR --out DIR (--quant-type TYPE |
 * --config FILE | --script example/…/X.py [-- ARGS]) [--model-type NAME] [--devices 0,1] [--yes] [--detach]
 * [--json]` — msModelSlim as a detached job on the host: plan (GPTQ/AWQ → refused, naming the float original),
 * pre-checks, progress, known failures explained, the output checked, a serving profile written.
 * Exit: 0 quantized and the check found no error; 1 failed, asked for confirmation, or the check found errors;
 * 2 bad usage, or a model that cannot be quantized as given (the refusal says what is needed).
 */

const options = {
  model: opt.string({ metavar: 'DIR', help: () => l10n.t('the float (BF16/FP16) model folder on the host') }),
  out: opt.string({ metavar: 'DIR', help: () => l10n.t('output folder on the host (new or empty)') }),
  'quant-type': opt.string({ metavar: 'TYPE', help: () => l10n.t('msmodelslim quant --quant_type (w8a8, w8a16, w4a8 …; default w8a8)') }),
  config: opt.string({ metavar: 'FILE', help: () => l10n.t('a quantization YAML on this machine (uploaded), instead of --quant-type') }),
  script: opt.string({ metavar: 'PATH', help: () => l10n.t('run a legacy example script (relative to the msModelSlim checkout); its own arguments after --') }),
  'model-type': opt.string({ metavar: 'NAME', help: () => l10n.t('msModelSlim --model_type (e.g. Qwen3-30B); derived from config.json and the folder name when possible') }),
  devices: opt.intList({ metavar: '0,1', min: 0, help: () => l10n.t('NPUs to use (ASCEND_RT_VISIBLE_DEVICES; several = DP layer-wise)') }),
  yes: opt.flag(() => l10n.t('answer msModelSlim\'s "Enter y to continue" with y (use a default practice)')),
  detach: opt.flag(() => l10n.t('start the job and return (follow it with ascend-adapt jobs logs)')),
  force: opt.flag(() => l10n.t('start even when a pre-check fails')),
  'trust-remote-code': opt.flag(() => l10n.t('pass --trust_remote_code True (the model ships its own code)')),
  'profile-name': opt.string({ metavar: 'NAME', help: () => l10n.t('name of the serving profile to write (default: derived from the output folder)') }),
  'no-profile': opt.flag(() => l10n.t('write no serving profile')),
  'sim-root': opt.string({ metavar: 'DIR', help: () => l10n.t('with --host: the folder of a SIMULATED host on that host') }),
  json: opt.flag(() => l10n.t('print {jobId, state, outDir, description, profile} as JSON on stdout')),
};
type Values = RunContext<typeof options>['values'];

function specFrom(values: Values, extra: string[], io: CliIO): QuantizeSpec {
  if (!values.model || !values.out) throw new UsageError(l10n.t('say what to quantize and where: --model FLOAT_DIR --out DIR'));
  const modes = [values['quant-type'] !== undefined, values.config !== undefined, values.script !== undefined].filter(Boolean).length;
  if (modes > 1) throw new UsageError(l10n.t('use only one of --quant-type, --config and --script'));
  if (extra.length && !values.script) throw new UsageError(l10n.t('arguments after -- go with --script'));
  const cfg = values.config !== undefined ? readOptionFile(io, values.config) : undefined;
  return {
    model: values.model, out: values.out, quantType: values['quant-type'], modelType: values['model-type'],
    config: cfg ? { name: path.basename(cfg.file), text: cfg.text } : undefined,
    script: values.script ? { path: values.script, args: extra } : undefined,
    devices: values.devices, yes: values.yes, trustRemoteCode: values['trust-remote-code'],
  };
}

const STATUS: Record<QuantCheck['status'], () => string> = { pass: () => l10n.t('ok'), warn: () => l10n.t('warn'), fail: () => l10n.t('FAIL'), skip: () => l10n.t('skip') };

function printChecks(checks: QuantCheck[], io: CliIO): void {
  for (const c of checks) io.stderr.write(`  [${STATUS[c.status]()}] ${c.title}: ${c.detail}${c.fix && c.status !== 'pass' ? `\n         ${c.fix}` : ''}\n`);
}

export function quantizeJson(r: QuantizeRecord | null, profile: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobId: r?.jobId ?? null,
    state: r?.state ?? 'refused',
    outDir: r?.outDir ?? null,
    description: r?.description ? { file: r.description.file, modelQuantType: r.description.modelQuantType, tensors: r.description.tensors, covered: r.description.covered, missing: r.description.missing } : null,
    profile,
    simulated: r?.simulated ?? false,
    ...(r ? { host: r.host, log: r.logFile, notices: r.notices.map((n) => ({ id: n.error.id, title: n.error.title, fix: n.error.fix, line: n.line })), question: r.question, failure: r.failure ? { id: r.failure.error.id, title: r.failure.error.title, explanation: r.failure.error.explanation, fix: r.failure.error.fix, line: r.failure.line, text: r.failure.text } : null, check: r.check } : {}),
    ...extra,
  };
}

function report(r: QuantizeRecord, io: CliIO): void {
  const sim = r.simulated ? ` ${l10n.t('(SIMULATED)')}` : '';
  for (const n of r.notices) io.stderr.write(`${n.error.title}: ${n.error.explanation}\n  ${l10n.t('Fix')}: ${n.error.fix}\n`);
  if (r.state === 'succeeded') {
    const d = r.description;
    io.stderr.write(l10n.t('Quantized into {0}{1}: {2}, {3} tensor entries, {4} linear/MoE weights covered, {5} missing', r.outDir, sim, d?.modelQuantType ?? '?', String(d?.tensors ?? 0), String(d?.covered ?? 0), String(d?.missing.length ?? 0)) + '\n');
    for (const m of r.check?.messages ?? []) io.stderr.write(`  ${m}\n`);
  } else if (r.state === 'needs-confirmation') {
    io.stderr.write(l10n.t('msModelSlim asks: {0}', r.question ?? '') + '\n' + l10n.t('Run again with --yes to use that practice, or pass --model-type / --config.') + '\n');
  } else if (r.failure) {
    io.stderr.write(`${r.failure.error.title}${sim}\n  ${r.failure.error.explanation}\n  ${l10n.t('Fix')}: ${r.failure.error.fix}\n${r.failure.line ? `  ${l10n.t('log line {0}: {1}', String(r.failure.line), r.failure.text)}\n` : ''}`);
  } else {
    io.stderr.write(l10n.t('The quantize job {0} ended: {1}', r.jobId, r.state) + '\n');
  }
}

export const quantizeCommand = defineCommand({
  name: 'quantize',
  summary: () => l10n.t('quantize a float checkpoint with msModelSlim for vLLM-Ascend (a detached job), check the output, write its serving profile'),
  synopsis: '--model FLOAT_DIR --out DIR (--quant-type TYPE | --config FILE | --script example/…/X.py)',
  description: () => [
    l10n.t('Quantizes a floating-point checkpoint on the host with msModelSlim (a detached job: it survives this command and the connection), then checks the output and writes a serving profile for it into ./ascend-adapt.json.'),
    l10n.t('A GPTQ/AWQ folder is refused with the float original it needs (msModelSlim quantizes float weights).'),
  ],
  argv: '[-- SCRIPT_ARGS]',
  target: { sim: 'root' },
  options,
  exitCodes: () => l10n.t('Exit codes: 0 quantized and checked, 1 failed / needs confirmation / the output has errors, 2 bad usage or a model that cannot be quantized as given.'),
  async run(ctx) {
    const { values, io } = ctx;
    const spec = specFrom(values, ctx.argv, io);
    const target = resolveHosts(ctx, { sim: 'root' })[0]!;
    if (values['sim-root'] && target.kind !== 'ssh') throw new UsageError(l10n.t('--sim-root goes with --host (use --sim DIR on this machine)'));
    const simRoot = target.simRoot ?? values['sim-root'];
    const transport = await target.open();
    const sig = interruptOnSigint(io);
    try {
      return await quantizeAndReport(ctx, spec, { transport, simRoot, hostName: target.kind === 'ssh' ? target.name : 'local', targetArgs: target.args, signal: sig.signal });
    } finally {
      sig.dispose();
      await transport.close();
    }
  },
});

async function quantizeAndReport(ctx: RunContext<typeof options>, spec: QuantizeSpec, t: { transport: Transport; simRoot?: string; hostName: string; targetArgs: string[]; signal: AbortSignal }): Promise<number> {
  const { values, io } = ctx;
  let lastLine = '';
  try {
    const r = await runQuantize(t.transport, spec, {
      simRoot: t.simRoot, force: values.force, detach: values.detach, signal: t.signal,
      onPrepared: (p) => {
        if (!values.json) for (const n of p.plan.notes) io.stderr.write(`${n}\n`);
        printChecks(p.checks, io);
      },
      onStart: (rec) => io.stderr.write(l10n.t('Started quantize job {0} on {1}{2}: {3}', rec.jobId, rec.host, rec.simulated ? ` ${l10n.t('(SIMULATED)')}` : '', rec.display) + '\n'),
      onProgress: (p) => {
        const line = `[quantize] ${Math.round(p.fraction * 100)}% ${p.phase}${p.block !== null ? ` ${p.block}/${p.blocks ?? '?'}` : ''}`;
        if (line !== lastLine) io.stderr.write(line + '\n');
        lastLine = line;
      },
    });
    let profile: string | null = null;
    if (r.state === 'succeeded' && (r.check?.errors ?? 0) === 0 && !values['no-profile']) {
      const w = writeQuantizedProfile(configPath(io.cwd), { outDir: r.outDir, sources: [spec.model], host: t.hostName, simRoot: t.simRoot, quantType: spec.quantType ?? 'w8a8', name: values['profile-name'] });
      profile = w.name;
      io.stderr.write(l10n.t('{0} profile "{1}" in {2}; serve it with: {3}', w.updated ? l10n.t('Updated') : l10n.t('Wrote'), w.name, configPath(io.cwd), ctx.hint(['serve'], ['--profile', w.name])) + '\n');
    }
    if (values.detach && r.state === 'running') io.stderr.write(l10n.t('Follow it with: {0}', ctx.hint(['jobs', 'logs'], [...t.targetArgs, r.jobId, '--follow'])) + '\n');
    else report(r, io);
    if (values.json) io.stdout.write(JSON.stringify(quantizeJson(r, profile), null, 2) + '\n');
    return r.state === 'succeeded' ? ((r.check?.errors ?? 0) === 0 ? 0 : 1) : r.state === 'running' ? 0 : 1;
  } catch (e) {
    if (!(e instanceof QuantizeRefusedError)) throw e;
    // Refused before any job: the folders it read are still the simulated host's.
    const simulated = t.simRoot !== undefined;
    if (e.checks.length) {
      printChecks(e.checks, io);
      io.stderr.write(l10n.t('Not started: a pre-check failed (--force starts anyway).') + '\n');
      if (values.json) io.stdout.write(JSON.stringify(quantizeJson(null, null, { simulated, reason: e.message, checks: e.checks }), null, 2) + '\n');
      return 1;
    }
    io.stderr.write(`${e.message}${simulated ? ` ${l10n.t('(SIMULATED)')}` : ''}\n`);
    if (values.json) io.stdout.write(JSON.stringify(quantizeJson(null, null, { simulated, reason: e.message, plan: { kind: e.plan.kind, floatModel: e.plan.floatModel, candidates: e.plan.candidates, modelTypeCandidates: e.plan.modelType.candidates } }), null, 2) + '\n');
    return 2;
  }
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { configPath } from '../../core/profiles/load';
import { QuantizeRefusedError, runQuantize, type QuantizeRecord, type QuantizeSpec } from '../../core/quantize/job';
import type { QuantCheck } from '../../core/quantize/precheck';
import { writeQuantizedProfile } from '../../core/quantize/profile';
import { LocalTransport } from '../../core/transport/local';
import type { Transport } from '../../core/transport/transport';
import { parse } from '../args';
import { hostOptions, UsageError, type CliCommand, type CliIO } from '../command';
import { targetsFrom } from '../target';
import { interruptOnSigint } from './evaljob';

/**
 * `ascend-adapt quantize (--host ALIAS | --local | --sim DIR) --model FLOAT_DIR --out DIR (--quant-type TYPE |
 * --config FILE | --script example/…/X.py [-- ARGS]) [--model-type NAME] [--devices 0,1] [--yes] [--detach]
 * [--json]` — msModelSlim as a detached job on the host: plan (GPTQ/AWQ → refused, naming the float original),
 * pre-checks, progress, known failures explained, the output checked, a serving profile written.
 * Exit: 0 quantized and the check found no error; 1 failed, asked for confirmation, or the check found errors;
 * 2 bad usage, or a model that cannot be quantized as given (the refusal says what is needed).
 */

const options = {
  ...hostOptions,
  sim: { type: 'string' },
  model: { type: 'string' },
  out: { type: 'string' },
  'quant-type': { type: 'string' },
  config: { type: 'string' },
  script: { type: 'string' },
  'model-type': { type: 'string' },
  devices: { type: 'string' },
  yes: { type: 'boolean' },
  detach: { type: 'boolean' },
  force: { type: 'boolean' },
  'trust-remote-code': { type: 'boolean' },
  'profile-name': { type: 'string' },
  'no-profile': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function usage(): string {
  return [
    l10n.t('Usage: ascend-adapt quantize (--host ALIAS | --local | --sim DIR) --model FLOAT_DIR --out DIR (--quant-type TYPE | --config FILE | --script example/…/X.py [-- ARGS]) [--model-type NAME] [--devices 0,1] [--yes] [--detach] [--json]'),
    '',
    l10n.t('Quantizes a floating-point checkpoint on the host with msModelSlim (a detached job: it survives this command and the connection), then checks the output and writes a serving profile for it into ./ascend-adapt.json.'),
    l10n.t('A GPTQ/AWQ folder is refused with the float original it needs (msModelSlim quantizes float weights).'),
    '',
    `  --model DIR          ${l10n.t('the float (BF16/FP16) model folder on the host')}`,
    `  --out DIR            ${l10n.t('output folder on the host (new or empty)')}`,
    `  --quant-type TYPE    ${l10n.t('msmodelslim quant --quant_type (w8a8, w8a16, w4a8 …; default w8a8)')}`,
    `  --config FILE        ${l10n.t('a quantization YAML on this machine (uploaded), instead of --quant-type')}`,
    `  --script PATH        ${l10n.t('run a legacy example script (relative to the msModelSlim checkout); its own arguments after --')}`,
    `  --model-type NAME    ${l10n.t('msModelSlim --model_type (e.g. Qwen3-30B); derived from config.json and the folder name when possible')}`,
    `  --devices 0,1        ${l10n.t('NPUs to use (ASCEND_RT_VISIBLE_DEVICES; several = DP layer-wise)')}`,
    `  --yes                ${l10n.t('answer msModelSlim\'s "Enter y to continue" with y (use a default practice)')}`,
    `  --detach             ${l10n.t('start the job and return (follow it with ascend-adapt jobs logs)')}`,
    `  --force              ${l10n.t('start even when a pre-check fails')}`,
    `  --profile-name NAME  ${l10n.t('name of the serving profile to write (default: derived); --no-profile writes none')}`,
    `  --sim DIR            ${l10n.t('a simulated Atlas host (with --host: its folder on that host)')}`,
    '',
    l10n.t('Exit codes: 0 quantized and checked, 1 failed / needs confirmation / the output has errors, 2 bad usage or a model that cannot be quantized as given.'),
  ].join('\n');
}

function parseDevices(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const d = v.split(',').map((x) => x.trim());
  if (!d.length || d.some((x) => !/^\d+$/.test(x))) throw new UsageError(l10n.t('--devices wants device numbers like 0,1, got {0}', v));
  return d.map(Number);
}

function specFrom(values: ReturnType<typeof parseQuantArgs>['values'], extra: string[], io: CliIO): QuantizeSpec {
  if (!values.model || !values.out) throw new UsageError(l10n.t('say what to quantize and where: --model FLOAT_DIR --out DIR'));
  const modes = [values['quant-type'] !== undefined, values.config !== undefined, values.script !== undefined].filter(Boolean).length;
  if (modes > 1) throw new UsageError(l10n.t('use only one of --quant-type, --config and --script'));
  if (extra.length && !values.script) throw new UsageError(l10n.t('arguments after -- go with --script'));
  let config: QuantizeSpec['config'];
  if (values.config !== undefined) {
    const f = path.resolve(io.cwd, values.config);
    try {
      config = { name: path.basename(f), text: fs.readFileSync(f, 'utf8') };
    } catch (e) {
      throw new UsageError(l10n.t('cannot read {0}: {1}', f, (e as Error).message));
    }
  }
  return {
    model: values.model, out: values.out, quantType: values['quant-type'], config, modelType: values['model-type'],
    script: values.script ? { path: values.script, args: extra } : undefined,
    devices: parseDevices(values.devices), yes: values.yes, trustRemoteCode: values['trust-remote-code'],
  };
}

function parseQuantArgs(args: string[]) {
  const dd = args.indexOf('--');
  const { values, positionals } = parse(dd >= 0 ? args.slice(0, dd) : args, options, false);
  return { values, positionals, extra: dd >= 0 ? args.slice(dd + 1) : [] };
}

async function openTarget(values: ReturnType<typeof parseQuantArgs>['values'], io: CliIO): Promise<{ transport: Transport; simRoot?: string; hostName: string }> {
  const remote = (values.host ?? []).length > 0;
  if (values.local && (remote || values.sim !== undefined)) throw new UsageError(l10n.t('use only one of --sim, --local and --host'));
  if (!remote && !values.local && values.sim === undefined) throw new UsageError(l10n.t('say where to run: --host ALIAS, --local or --sim DIR'));
  if (remote) {
    const t = targetsFrom(values)[0];
    return { transport: await t.open(), simRoot: values.sim, hostName: t.name };
  }
  return { transport: new LocalTransport(), simRoot: values.sim !== undefined ? path.resolve(io.cwd, values.sim) : undefined, hostName: 'local' };
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
    ...(r ? { host: r.host, log: r.logFile, question: r.question, failure: r.failure ? { id: r.failure.error.id, title: r.failure.error.title, explanation: r.failure.error.explanation, fix: r.failure.error.fix, line: r.failure.line, text: r.failure.text } : null, check: r.check } : {}),
    ...extra,
  };
}

function report(r: QuantizeRecord, io: CliIO): void {
  const sim = r.simulated ? ` ${l10n.t('(SIMULATED)')}` : '';
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

export const quantizeCommand: CliCommand = {
  name: 'quantize',
  summary: () => l10n.t('quantize a float checkpoint with msModelSlim for vLLM-Ascend (a detached job), check the output, write its serving profile'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, extra } = parseQuantArgs(args);
    const spec = specFrom(values, extra, io);
    const { transport, simRoot, hostName } = await openTarget(values, io);
    const sig = interruptOnSigint(io);
    let lastLine = '';
    try {
      const r = await runQuantize(transport, spec, {
        simRoot, force: values.force, detach: values.detach, signal: sig.signal,
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
        const w = writeQuantizedProfile(configPath(io.cwd), { outDir: r.outDir, sources: [spec.model], host: hostName, simRoot, quantType: spec.quantType ?? 'w8a8', name: values['profile-name'] });
        profile = w.name;
        io.stderr.write(l10n.t('{0} profile "{1}" in {2}; serve it with: ascend-adapt serve --profile {1}', w.updated ? l10n.t('Updated') : l10n.t('Wrote'), w.name, configPath(io.cwd)) + '\n');
      }
      if (values.detach && r.state === 'running') io.stderr.write(l10n.t('Follow it with: ascend-adapt jobs logs {0} {1} --follow', hostName === 'local' ? '--local' : `--host ${hostName}`, r.jobId) + '\n');
      else report(r, io);
      if (values.json) io.stdout.write(JSON.stringify(quantizeJson(r, profile), null, 2) + '\n');
      return r.state === 'succeeded' ? ((r.check?.errors ?? 0) === 0 ? 0 : 1) : r.state === 'running' ? 0 : 1;
    } catch (e) {
      if (!(e instanceof QuantizeRefusedError)) throw e;
      if (e.checks.length) {
        printChecks(e.checks, io);
        io.stderr.write(l10n.t('Not started: a pre-check failed (--force starts anyway).') + '\n');
        if (values.json) io.stdout.write(JSON.stringify(quantizeJson(null, null, { reason: e.message, checks: e.checks }), null, 2) + '\n');
        return 1;
      }
      io.stderr.write(`${e.message}\n`);
      if (values.json) io.stdout.write(JSON.stringify(quantizeJson(null, null, { reason: e.message, plan: { kind: e.plan.kind, floatModel: e.plan.floatModel, candidates: e.plan.candidates, modelTypeCandidates: e.plan.modelType.candidates } }), null, 2) + '\n');
      return 2;
    } finally {
      sig.dispose();
      await transport.close();
    }
  },
};

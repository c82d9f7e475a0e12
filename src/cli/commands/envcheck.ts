import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { renderCollectEnv } from '../../core/checks/collectEnv';
import type { RunPlan } from '../../core/checks/checks';
import { envCheckExitCode, type Check, type EnvReport } from '../../core/checks/report';
import { analyzeSnapshot, parseSnapshot, reportsForJson, runEnvChecks, toSnapshot, type EnvCheckTarget, type EnvReportWithRaw } from '../../core/probe/envcheck';
import { readSimConfig } from '../../core/sim/config';
import { simExecEnv } from '../../core/sim/env';
import { LocalTransport } from '../../core/transport/local';
import { parse } from '../args';
import { hostOptions, UsageError, type CliCommand, type CliIO } from '../command';
import { targetsFrom } from '../target';
import { envFrom } from './run';

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(l10n.t('{0} wants a positive whole number, got {1}', name, JSON.stringify(v)));
  return n;
}

function positiveNumber(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(l10n.t('{0} wants a positive number, got {1}', name, JSON.stringify(v)));
  return n;
}

function statusWord(s: Check['status']): string {
  switch (s) {
    case 'pass': return l10n.t('PASS');
    case 'warn': return l10n.t('WARN');
    case 'fail': return l10n.t('FAIL');
    default: return l10n.t('SKIP');
  }
}

const ICON: Record<Check['status'], string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };

/** Human-readable report of one host (what the terminal shows). */
export function renderText(r: EnvReport): string {
  const out: string[] = [];
  const sim = r.simulated ? `  [${l10n.t('SIMULATED')}]` : '';
  out.push(`== ${r.host}${sim}`);
  if (r.hostInfo) out.push(`   ${[r.hostInfo.hostname, r.hostInfo.os, r.hostInfo.arch].filter(Boolean).join(' · ')}`);
  if (r.checkedAt) out.push(`   ${l10n.t('checked at {0}', r.checkedAt)}`);
  if (r.npu.devices.length) {
    out.push(`   ${l10n.t('NPU family {0}, {1} devices (npu-smi {2})', r.npu.family, String(r.npu.devices.length), r.npu.npuSmiVersion ?? '?')}`);
    out.push(`   ${'NPU'.padEnd(6)}${'Chip'.padEnd(5)}${'Name'.padEnd(12)}${'Health'.padEnd(9)}${'Memory (MB)'.padEnd(16)}${'Temp'.padEnd(6)}Power`);
    for (const d of r.npu.devices) {
      const used = d.hbmUsedMB ?? d.memUsedMB;
      const total = d.hbmTotalMB ?? d.memTotalMB;
      out.push(`   ${String(d.npuId).padEnd(6)}${String(d.chipId).padEnd(5)}${d.name.padEnd(12)}${d.health.padEnd(9)}${`${used ?? '?'} / ${total ?? '?'}`.padEnd(16)}${String(d.tempC ?? '-').padEnd(6)}${d.powerW !== null ? d.powerW.toFixed(1) : '-'}`);
    }
    for (const p of r.npu.processes) {
      out.push(`   ${l10n.t('process {0} ({1}) holds {2} MB on NPU {3} chip {4}', String(p.pid), p.name || p.cmdline || '?', String(p.memoryMB), String(p.npuId), String(p.chipId))}`);
    }
  }
  const v = r.versions;
  const vs = (['cann', 'driver', 'python', 'torch', 'torch_npu', 'vllm', 'vllm_ascend'] as const).map((k) => `${k}=${v[k] ?? '—'}`).join('  ');
  out.push(`   ${vs}`, '');
  for (const c of r.checks) {
    out.push(`  ${ICON[c.status]} ${statusWord(c.status).padEnd(4)}  ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'pass') out.push(`          ${l10n.t('fix:')} ${c.fix}`);
  }
  const s = r.summary;
  out.push('', `   ${l10n.t('{0} passed, {1} warnings, {2} failed, {3} skipped', String(s.pass), String(s.warn), String(s.fail), String(s.skip))}${r.simulated ? ` — ${l10n.t('SIMULATED host: not NPU results')}` : ''}`, '');
  return out.join('\n');
}

export const envCheckCommand: CliCommand = {
  name: 'env-check',
  summary: () => l10n.t('check an Atlas host: NPUs, CANN, driver, versions vs the vllm-ascend matrix, env vars, disk'),
  usage: () => [
    l10n.t('Usage: ascend-adapt env-check (--host ALIAS... | --local | --sim DIR...) [options]'),
    l10n.t('       ascend-adapt env-check --snapshot FILE [options]'),
    '',
    l10n.t('Runs one probe per host (in parallel), checks the facts and prints verdicts with fixes.'),
    l10n.t('Exit code 1 when any check fails. Several hosts are also compared with each other.'),
    '',
    l10n.t('Options:'),
    `  --json                  ${l10n.t('one JSON object per host (an array for several hosts) on stdout')}`,
    `  --format text|json|collect-env  ${l10n.t('output layout (collect-env = vllm-ascend collect_env.py text)')}`,
    `  --save-snapshot FILE    ${l10n.t('save the raw probe results, to re-analyse later or attach to a bug report')}`,
    `  --snapshot FILE         ${l10n.t('analyse a saved snapshot instead of probing')}`,
    `  --sim DIR               ${l10n.t('the simulated host in DIR (local, with DIR/env.sh applied)')}`,
    `  --tp N, --pp N          ${l10n.t('the planned tensor/pipeline parallel sizes')}`,
    `  --model-path DIR        ${l10n.t('model folder on the host (free disk is checked there)')}`,
    `  --model-size-gb N       ${l10n.t('size of the weights')}`,
    `  --need-free-gb N        ${l10n.t('free device memory each device needs')}`,
    `  --env KEY=VALUE         ${l10n.t('environment the run will set (checked instead of the host\'s)')}`,
    `  --python PATH           ${l10n.t('interpreter on the host (default python3)')}`,
    `  --source FILE           ${l10n.t('a file on the host to source before probing (e.g. a CANN set_env.sh or a simulated host\'s env.sh)')}`,
    `  --timeout SECONDS       ${l10n.t('per command on the host, e.g. npu-smi (default 15)')}`,
    `  --hccn                  ${l10n.t('also check NPU network links with hccn_tool (default with several hosts)')}`,
    `  --ssh-config FILE, --known-hosts FILE, --accept-new`,
  ].join('\n'),
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...hostOptions,
      json: { type: 'boolean' },
      format: { type: 'string' },
      'save-snapshot': { type: 'string' },
      snapshot: { type: 'string' },
      sim: { type: 'string', multiple: true },
      tp: { type: 'string' },
      pp: { type: 'string' },
      'model-path': { type: 'string' },
      'model-size-gb': { type: 'string' },
      'need-free-gb': { type: 'string' },
      env: { type: 'string', multiple: true },
      python: { type: 'string' },
      source: { type: 'string' },
      timeout: { type: 'string' },
      hccn: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[0]));
    const format = values.json ? 'json' : (values.format ?? 'text');
    if (!['text', 'json', 'collect-env'].includes(format)) throw new UsageError(l10n.t('--format must be text, json or collect-env'));
    const modelSize = positiveNumber(values['model-size-gb'], '--model-size-gb');
    const needFree = positiveNumber(values['need-free-gb'], '--need-free-gb');
    const planEnv = values.env ? envFrom(values.env) : undefined;
    const plan: RunPlan = {
      ...(values.tp !== undefined ? { tp: positiveInt(values.tp, '--tp') } : {}),
      ...(values.pp !== undefined ? { pp: positiveInt(values.pp, '--pp') } : {}),
      ...(values['model-path'] !== undefined ? { modelPath: values['model-path'] } : {}),
      ...(modelSize !== undefined ? { modelSizeMB: Math.round(modelSize * 1024) } : {}),
      ...(needFree !== undefined ? { requiredFreeMBPerDevice: Math.round(needFree * 1024) } : {}),
      ...(planEnv ? { env: planEnv } : {}),
    };
    const planGiven = Object.keys(plan).length > 0;

    let reports: EnvReportWithRaw[];
    if (values.snapshot !== undefined) {
      if (values.host?.length || values.local || values.sim?.length) throw new UsageError(l10n.t('--snapshot cannot be combined with --host, --local or --sim'));
      const file = path.resolve(io.cwd, values.snapshot);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(l10n.t('cannot read {0}: {1}', file, (e as Error).message));
      }
      try {
        reports = analyzeSnapshot(parseSnapshot(text, file), planGiven ? plan : undefined);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    } else {
      const timeout = positiveNumber(values.timeout, '--timeout');
      let targets: EnvCheckTarget[];
      let python = values.python;
      if (values.sim?.length) {
        if (values.host?.length || values.local) throw new UsageError(l10n.t('--sim cannot be combined with --host or --local'));
        targets = values.sim.map((d) => {
          const dir = path.resolve(io.cwd, d);
          let env: Record<string, string>;
          try {
            env = simExecEnv(dir, io.env);
          } catch (e) {
            throw new UsageError(l10n.t('{0} is not a simulated host (run `ascend-adapt sim create {0}` first): {1}', dir, (e as Error).message));
          }
          // The simulated host's own interpreter (resolved once at creation) unless --python says otherwise.
          python ??= readSimConfig(dir).python;
          const name = values.sim!.length > 1 ? `sim:${path.basename(dir)}` : 'sim';
          return { name, open: async () => new LocalTransport(name, env) };
        });
      } else {
        targets = targetsFrom(values, { multiple: true });
      }
      if (format === 'text') io.stderr.write(l10n.t('Checking {0} …', targets.map((t) => t.name).join(', ')) + '\n');
      reports = await runEnvChecks(targets, {
        plan,
        python,
        ...(values.source !== undefined ? { sourceFirst: values.source } : {}),
        hccn: values.hccn ? true : undefined,
        ...(timeout !== undefined ? { commandTimeoutS: timeout } : {}),
      });
    }

    if (values['save-snapshot'] !== undefined) {
      const file = path.resolve(io.cwd, values['save-snapshot']);
      fs.writeFileSync(file, JSON.stringify(toSnapshot(reports, { plan }), null, 2) + '\n');
      io.stderr.write(l10n.t('Snapshot saved to {0}', file) + '\n');
    }
    if (format === 'json') {
      const plain = reportsForJson(reports);
      io.stdout.write(JSON.stringify(plain.length === 1 ? plain[0] : plain, null, 2) + '\n');
    } else if (format === 'collect-env') {
      for (const r of reports) io.stdout.write(renderCollectEnv(r.host, r.raw) + '\n');
    } else {
      for (const r of reports) io.stdout.write(renderText(r) + '\n');
    }
    return envCheckExitCode(reports);
  },
};

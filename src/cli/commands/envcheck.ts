import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { renderCollectEnv } from '../../core/checks/collectEnv';
import type { RunPlan } from '../../core/checks/checks';
import { envCheckExitCode, type Check, type EnvReport } from '../../core/checks/report';
import { analyzeSnapshot, parseSnapshot, reportsForJson, runEnvChecks, toSnapshot, type EnvCheckTarget, type EnvReportWithRaw } from '../../core/probe/envcheck';
import { readSimConfig } from '../../core/sim/config';
import { isCluster } from '../../core/cluster/plan';
import { precheckCluster } from '../../core/cluster/precheck';
import { checkHosts, DEFAULT_REACH_PORT } from '../../core/cluster/hostcheck';
import type { ClusterCheck } from '../../core/cluster/checks';
import type { NamedProfile } from '../../core/profiles/schema';
import { defineCommand, UsageError, type RunContext } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';
import { loadProfile, resolveHosts, resolveProfile, type Target, type TargetDecl } from '../target';
import { envFrom } from './run';
import { NodeTransports } from './serve-cluster';

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
    const rows = r.npu.devices.map((d) => [
      String(d.npuId), String(d.chipId), d.name, d.health,
      `${d.hbmUsedMB ?? d.memUsedMB ?? '?'} / ${d.hbmTotalMB ?? d.memTotalMB ?? '?'}`, String(d.tempC ?? '-'), d.powerW !== null ? d.powerW.toFixed(1) : '-',
    ]);
    out.push(formatTable([['NPU', 'Chip', 'Name', 'Health', 'Memory (MB)', 'Temp', 'Power'], ...rows], { indent: '   ' }).trimEnd());
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

const TARGET: TargetDecl = { hosts: 'many', sim: 'env', profile: true };

const options = {
  json: opt.flag(() => l10n.t('one JSON object per host (an array for several --sim; for several --host one object with the cluster checks) on stdout')),
  format: opt.string({ choices: ['text', 'json', 'collect-env'], default: 'text', help: () => l10n.t('output layout (collect-env = vllm-ascend collect_env.py text)') }),
  'save-snapshot': opt.string({ metavar: 'FILE', help: () => l10n.t('save the raw probe results, to re-analyse later or attach to a bug report') }),
  snapshot: opt.string({ metavar: 'FILE', help: () => l10n.t('analyse a saved snapshot instead of probing') }),
  tp: opt.int({ metavar: 'N', min: 1, help: () => l10n.t('the planned tensor parallel size') }),
  pp: opt.int({ metavar: 'N', min: 1, help: () => l10n.t('the planned pipeline parallel size') }),
  'model-path': opt.string({ metavar: 'DIR', help: () => l10n.t('model folder on the host (free disk is checked there)') }),
  'model-size-gb': opt.float({ metavar: 'N', above: 0, help: () => l10n.t('size of the weights') }),
  'need-free-gb': opt.float({ metavar: 'N', above: 0, help: () => l10n.t('free device memory each device needs') }),
  env: opt.string({ metavar: 'KEY=VALUE', repeat: true, help: () => l10n.t('environment the run will set (checked instead of the host\'s)') }),
  python: opt.string({ metavar: 'PATH', help: () => l10n.t('interpreter on the host (default python3)') }),
  source: opt.string({ metavar: 'FILE', help: () => l10n.t('a file on the host to source before probing (e.g. a CANN set_env.sh or a simulated host\'s env.sh)') }),
  timeout: opt.float({ metavar: 'SECONDS', above: 0, help: () => l10n.t('per command on the host, e.g. npu-smi (default 15)') }),
  hccn: opt.flag(() => l10n.t('also check NPU network links with hccn_tool (default with several hosts)')),
  'head-address': opt.string({ metavar: 'IP', help: () => l10n.t('several --host: the first host\'s address on the nodes\' network (default: the address its SSH session came in on)') }),
  'head-port': opt.int({ metavar: 'PORT', min: 1, max: 65535, default: DEFAULT_REACH_PORT, help: () => l10n.t('several --host: the port each node connects to on the head (default {0}, vLLM\'s data-parallel RPC port)', DEFAULT_REACH_PORT) }),
};
type Ctx = RunContext<typeof options>;

function planFrom(values: Ctx['values']): RunPlan {
  const planEnv = values.env.length ? envFrom(values.env) : undefined;
  return {
    ...(values.tp !== undefined ? { tp: values.tp } : {}),
    ...(values.pp !== undefined ? { pp: values.pp } : {}),
    ...(values['model-path'] !== undefined ? { modelPath: values['model-path'] } : {}),
    ...(values['model-size-gb'] !== undefined ? { modelSizeMB: Math.round(values['model-size-gb'] * 1024) } : {}),
    ...(values['need-free-gb'] !== undefined ? { requiredFreeMBPerDevice: Math.round(values['need-free-gb'] * 1024) } : {}),
    ...(planEnv ? { env: planEnv } : {}),
  };
}

/** A one-host profile: its host, its model path and parallel sizes (the flags given win), its simulated env.sh. */
function profileHosts(ctx: Ctx, plan: RunPlan): { hosts: Target[]; plan: RunPlan; source?: string } {
  const pt = resolveProfile(ctx, TARGET);
  const p = pt.profile;
  const merged: RunPlan = { tp: p.tensorParallelSize, pp: p.pipelineParallelSize, modelPath: p.modelPath, ...plan };
  return { hosts: [pt.target], plan: merged, ...(p.simRoot && pt.target.kind !== 'sim' ? { source: path.posix.join(p.simRoot, 'env.sh') } : {}) };
}

/**
 * A multi-node profile: the cluster pre-checks on every node (the same as before a launch): each node's
 * report, then the checks across them (hccn_tool ports, NPU addresses, pings, NIC and route to the head,
 * versions, model folder, free NPUs), each naming its node.
 */
async function clusterEnvCheck(ctx: Ctx, profile: NamedProfile, format: string): Promise<number> {
  const { io, where } = ctx;
  if (where.host.length || where.local || where.sim.length) throw new UsageError(l10n.t('profile "{0}" runs on its nodes: --host, --local and --sim do not apply', profile.name));
  const nodes = new NodeTransports(ctx);
  try {
    if (format === 'text') io.stderr.write(l10n.t('Checking {0} nodes of {1} …', profile.nodes!.length, profile.name) + '\n');
    const pre = await precheckCluster(profile, { open: (h) => nodes.get(h), ...(ctx.values.python ? { python: ctx.values.python } : {}) });
    const reports = pre.reports.filter((r): r is EnvReportWithRaw => r !== null);
    if (format === 'json') {
      io.stdout.write(JSON.stringify({ profile: profile.name, multiNode: profile.multiNode, ok: pre.ok, nodes: reportsForJson(reports), checks: pre.checks }, null, 2) + '\n');
    } else if (format === 'collect-env') {
      for (const r of reports) io.stdout.write(renderCollectEnv(r.host, r.raw) + '\n');
    } else {
      for (const r of reports) io.stdout.write(renderText(r) + '\n');
      io.stdout.write(`== ${l10n.t('Cluster pre-launch checks:')}\n${renderClusterChecks(pre.checks)}`);
    }
    if (ctx.values['save-snapshot'] !== undefined && !saveSnapshot(ctx, reports, {})) return 2;
    return pre.ok ? 0 : 1;
  } finally {
    await nodes.closeAll();
  }
}

function renderClusterChecks(checks: ReadonlyArray<Pick<ClusterCheck, 'status' | 'title' | 'detail' | 'fix'>>): string {
  let out = '';
  for (const c of checks) {
    out += `  ${ICON[c.status]} ${statusWord(c.status).padEnd(4)}  ${c.title}: ${c.detail}\n`;
    if (c.fix && c.status !== 'pass') out += `          ${l10n.t('fix:')} ${c.fix}\n`;
  }
  return out;
}

/**
 * Several SSH hosts without a profile: the nodes of one cluster, the first the head. Each node's report,
 * then every cross-node check that needs no profile (hccn_tool ports, NPU addresses and TLS, pings, the
 * route and a TCP connect to the head, versions), each naming its node.
 */
async function hostsClusterCheck(ctx: Ctx, plan: RunPlan, format: string, hosts: Target[]): Promise<number> {
  const { values, io } = ctx;
  if (format === 'text') io.stderr.write(l10n.t('Checking {0} as one cluster (head: {1}) …', hosts.map((h) => h.name).join(', '), hosts[0].name) + '\n');
  const r = await checkHosts(hosts.map((h) => ({ name: h.name, open: h.open })), {
    plan,
    ...(values.python !== undefined ? { python: values.python } : {}),
    ...(values.source !== undefined ? { sourceFirst: values.source } : {}),
    ...(values.timeout !== undefined ? { commandTimeoutS: values.timeout } : {}),
    ...(values['head-address'] !== undefined ? { headAddress: values['head-address'] } : {}),
    port: values['head-port'],
  });
  if (format === 'json') {
    io.stdout.write(JSON.stringify({ ok: r.ok, head: r.head, nodes: reportsForJson(r.reports), checks: r.checks }, null, 2) + '\n');
  } else if (format === 'collect-env') {
    for (const x of r.reports) io.stdout.write(renderCollectEnv(x.host, x.raw) + '\n');
  } else {
    for (const x of r.reports) io.stdout.write(renderText(x) + '\n');
    const from = r.head.from === 'option' ? '--head-address' : r.head.from === 'ssh' ? l10n.t('its SSH connection') : (r.head.from ?? '?');
    io.stdout.write(`== ${l10n.t('Cluster checks (head {0} at {1}:{2}, from {3}):', r.head.host, r.head.address ?? '?', r.head.port, from)}\n${renderClusterChecks(r.checks)}`);
  }
  connectionHints(ctx, r.reports, hosts);
  if (values['save-snapshot'] !== undefined && !saveSnapshot(ctx, r.reports, plan)) return 2;
  return r.ok ? 0 : 1;
}

function fromSnapshot(ctx: Ctx, plan: RunPlan): EnvReportWithRaw[] {
  const w = ctx.where;
  if (w.host.length || w.local || w.sim.length) throw new UsageError(l10n.t('--snapshot cannot be combined with --host, --local or --sim'));
  const file = path.resolve(ctx.io.cwd, ctx.values.snapshot!);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(l10n.t('cannot read {0}: {1}', file, (e as Error).message));
  }
  try {
    return analyzeSnapshot(parseSnapshot(text, file), Object.keys(plan).length > 0 ? plan : undefined);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function probe(ctx: Ctx, plan: RunPlan, format: string, hosts: Target[], source?: string): Promise<EnvReportWithRaw[]> {
  const { values, io } = ctx;
  // A simulated host's own interpreter (resolved once at creation) unless --python says otherwise.
  const python = values.python ?? (hosts[0]?.simRoot ? readSimConfig(hosts[0].simRoot).python : undefined);
  const targets: EnvCheckTarget[] = hosts.map((h) => ({ name: h.name, open: h.open }));
  if (format === 'text') io.stderr.write(l10n.t('Checking {0} …', targets.map((t) => t.name).join(', ')) + '\n');
  return runEnvChecks(targets, {
    plan,
    python,
    ...(values.source !== undefined ? { sourceFirst: values.source } : source !== undefined ? { sourceFirst: source } : {}),
    hccn: values.hccn ? true : undefined,
    ...(values.timeout !== undefined ? { commandTimeoutS: values.timeout } : {}),
  });
}

/** An SSH host the probe could not reach: the command that shows why, with the same flags. */
function connectionHints(ctx: Ctx, reports: EnvReportWithRaw[], hosts: Target[]): void {
  for (const r of reports) {
    const probeCheck = r.checks.find((c) => c.id === 'probe' && c.status === 'fail');
    const target = hosts.find((h) => h.name === r.host);
    if (!probeCheck || target?.kind !== 'ssh' || probeCheck.facts?.kind !== 'transport') continue;
    ctx.io.stderr.write(l10n.t('{0}: check the connection with {1}', r.host, ctx.hint(['run'], [...target.args, '--', 'true'])) + '\n');
  }
}

/** Writes the snapshot; a path that cannot be written costs the file, never the results (already printed). */
function saveSnapshot(ctx: Ctx, reports: EnvReportWithRaw[], plan: RunPlan): boolean {
  const file = path.resolve(ctx.io.cwd, ctx.values['save-snapshot']!);
  try {
    fs.writeFileSync(file, JSON.stringify(toSnapshot(reports, { plan }), null, 2) + '\n');
  } catch (e) {
    ctx.io.stderr.write(l10n.t('The snapshot could not be saved to {0}: {1}', file, (e as Error).message) + '\n');
    return false;
  }
  ctx.io.stderr.write(l10n.t('Snapshot saved to {0}', file) + '\n');
  return true;
}

export const envCheckCommand = defineCommand({
  name: 'env-check',
  summary: () => l10n.t('check an Atlas host: NPUs, CANN, driver, versions vs the vllm-ascend matrix, env vars, disk'),
  description: () => [
    l10n.t('Runs one probe per host (in parallel), checks the facts and prints verdicts with fixes.'),
    l10n.t('Exit code 1 when any check fails. Several hosts are also compared with each other.'),
    l10n.t('Or: ascend-adapt env-check --snapshot FILE analyses a saved snapshot instead of probing.'),
    l10n.t('With --profile NAME: the profile\'s host, model and parallel sizes; a multi-node profile gets the cluster'),
    l10n.t('pre-checks on every node (hccn_tool, NPU addresses and pings, NIC to the head, versions, model folder, free NPUs).'),
    l10n.t('Several --host without a profile: the hosts are one cluster, the first the head, and get the same checks except'),
    l10n.t('the model folder and free NPUs (those need --profile); JSON is then one object {ok, head, nodes, checks}.'),
  ],
  target: TARGET,
  options,
  exitCodes: () => l10n.t('Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage, or --save-snapshot could not be written (the results are still printed).'),
  async run(ctx) {
    const { values, io } = ctx;
    const format = values.json ? 'json' : values.format;
    let plan = planFrom(values);
    let hosts: Target[] = [];
    let source: string | undefined;
    if (ctx.where.profile !== undefined) {
      if (values.snapshot !== undefined) throw new UsageError(l10n.t('--snapshot cannot be combined with --profile'));
      const { profile } = loadProfile(ctx);
      if (isCluster(profile)) return clusterEnvCheck(ctx, profile, format);
      ({ hosts, plan, source } = profileHosts(ctx, plan));
    } else if (values.snapshot === undefined) {
      hosts = resolveHosts(ctx, TARGET);
      // Several SSH hosts are the nodes of one cluster; several --sim share this machine and are only compared.
      if (hosts.length > 1 && hosts.every((h) => h.kind === 'ssh')) return hostsClusterCheck(ctx, plan, format, hosts);
    }
    const reports = values.snapshot !== undefined ? fromSnapshot(ctx, plan) : await probe(ctx, plan, format, hosts, source);
    if (format === 'json') {
      const plain = reportsForJson(reports);
      io.stdout.write(JSON.stringify(plain.length === 1 ? plain[0] : plain, null, 2) + '\n');
    } else if (format === 'collect-env') {
      for (const r of reports) io.stdout.write(renderCollectEnv(r.host, r.raw) + '\n');
    } else {
      for (const r of reports) io.stdout.write(renderText(r) + '\n');
    }
    connectionHints(ctx, reports, hosts);
    if (values['save-snapshot'] !== undefined && !saveSnapshot(ctx, reports, plan)) return 2;
    return envCheckExitCode(reports);
  },
});

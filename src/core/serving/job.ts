import { EventEmitter } from 'node:events';
import * as l10n from '@vscode/l10n';
import { localize, LogWatcher, recogniseLine, type LocalizedError, type LogFinding } from '../knowledge/errors';
import { parseNpuSmiInfo, type NpuSmiInfo } from '../npu/smi';
import type { NamedProfile } from '../profiles/schema';
import { checkHealth, listModels } from '../endpoint/index';
import { unwrapSimEnv, withSimEnv, type JobControl, type JobStatus } from '../jobs/index';
import type { ForwardedPort, Transport } from '../transport/transport';
import { quoteCommand } from '../transport/quote';
import { buildServeCommand, type ServeCommand } from './command';
import { analyzeModel, inspectModel, ModelInspectionError, type ModelFacts } from './model';
import { preflight, type EnvSnapshot, type PreflightResult } from './preflight';

/**
 * A vLLM server as a detached job on a host: launched from a profile (after the pre-launch checks),
 * followed through its log (known failures recognised line by line), declared ready when the forwarded
 * port answers /health and /v1/models lists the served model, and stopped with a check that the NPUs are
 * idle again. States: starting → ready → (stopped | exited), or starting → failed.
 *
 * The job keeps running when this object is disposed, the link drops or VS Code closes; `attachServing`
 * picks it up again from its record (e.g. after a reconnect) and `attachLog(offset)` continues the log
 * exactly where a reader stopped.
 */

export type ServingState = 'starting' | 'ready' | 'failed' | 'stopped' | 'exited';

export interface ServingFailure {
  message: string;
  /** The known failure behind it, when one was recognised in the log. */
  error: LocalizedError | null;
  /** Where in the log: 1-based line and its text. */
  line: number | null;
  text: string | null;
}

/** Everything a face needs to show, store and re-attach a serving job. Plain data (JSON-safe). */
export interface ServingJobRecord {
  jobId: string;
  host: string;
  profileName: string;
  command: ServeCommand;
  simulated: boolean;
  state: ServingState;
  /** Epoch ms. */
  startedAt: number;
  readyAt: number | null;
  /** Launch → ready, ms (模型加载时间 in an adaptation report). */
  loadTimeMs: number | null;
  endedAt: number | null;
  exitCode: number | null;
  failure: ServingFailure | null;
  /** Local URL of the server (through the forwarded port) while it is being monitored. */
  endpoint: string | null;
  /** How far the monitor has read the log (bytes). */
  logOffset: number;
  /** HBM used per chosen device (MB) before launch, from npu-smi, when it could be read. */
  baselineHbmMB: Record<string, number> | null;
  /** Rebuilt from the host's job list (e.g. after a reload) rather than kept since launch. */
  recovered?: boolean;
}

export interface DeviceAfterStop {
  device: number;
  npuId: number;
  chipId: number;
  usedMB: number | null;
  totalMB: number | null;
  baselineMB: number | null;
  idle: boolean;
}

export interface StopReport {
  /** Pids of the job's process group left after TERM → KILL (from the job layer). */
  leftoverPids: number[];
  /** Processes npu-smi still shows on the job's devices. */
  npuProcesses: Array<{ npuId: number; chipId: number; pid: number; name: string; memoryMB: number }>;
  devices: DeviceAfterStop[];
  /** npu-smi could be read after the stop. */
  checked: boolean;
  /** Nothing of the job left and HBM back to idle on every device of the job. */
  idle: boolean;
}

export class PreflightFailedError extends Error {
  constructor(readonly result: PreflightResult) {
    super(l10n.t('pre-launch checks failed: {0}', result.checks.filter((c) => c.status === 'fail').map((c) => `${c.title}: ${c.detail}`).join('; ')));
    this.name = 'PreflightFailedError';
  }
}

export interface ServingEvents {
  state: [ServingJobRecord];
  finding: [LogFinding, LocalizedError];
  log: [Buffer, number];
}

export interface MonitorOptions {
  jobs: JobControl;
  /** Poll interval (log, status, readiness). Default 1000 ms. */
  pollMs?: number;
  /** After a fatal error shows in the log, wait this long for the process to exit by itself, then stop it. */
  failGraceMs?: number;
  /** Give up (failed) when not ready after this long. Default: the profile's readyTimeoutSec. */
  readyTimeoutMs?: number;
  /** Devices whose HBM counts as "idle" within this many MB of the baseline. Default 512. */
  idleToleranceMB?: number;
}

export interface StartServingOptions extends MonitorOptions {
  /** The host's last environment check (devices, free HBM) for the pre-launch checks. */
  env?: EnvSnapshot;
  /** Launch even when a pre-launch check fails. */
  force?: boolean;
  /** Called with the pre-launch checks before launching (also when they pass). */
  onPreflight?: (r: PreflightResult, model: ModelFacts | null) => void;
}

const READ_CHUNK = 1 << 20;

/** `npu-smi info` on the host, parsed; null when it cannot be run or read. */
export async function readNpuSmi(transport: Transport, profile: { simRoot?: string }): Promise<NpuSmiInfo | null> {
  try {
    const r = await transport.exec(withSimEnv(profile.simRoot, ['npu-smi', 'info']), { timeoutMs: 30_000 });
    if (r.code !== 0) return null;
    const info = parseNpuSmiInfo(r.stdout.toString('utf8'));
    return info.ok ? info : null;
  } catch {
    return null;
  }
}

/** The model folder + pre-launch checks, without launching. */
export async function checkBeforeLaunch(transport: Transport, profile: NamedProfile, env?: EnvSnapshot): Promise<{ result: PreflightResult; model: ModelFacts | null; command: ServeCommand }> {
  const command = buildServeCommand(profile);
  let model: ModelFacts | null = null;
  let modelError: string | undefined;
  let folder: { exists: boolean; isDir: boolean; hasConfig: boolean } | undefined;
  try {
    const insp = await inspectModel(transport, profile.modelPath);
    folder = { exists: insp.exists, isDir: insp.isDir, hasConfig: insp.config !== null };
    if (insp.configError && insp.config === null && insp.files.some((f) => f.name === 'config.json')) modelError = insp.configError;
    model = insp.config !== null ? analyzeModel(insp) : null;
  } catch (e) {
    modelError = e instanceof ModelInspectionError ? e.message : String(e);
  }
  return { result: preflight({ profile, command, model, modelError, modelFolder: folder, env }), model, command };
}

/** Launch a profile as a detached serving job and start monitoring it. */
export async function startServing(transport: Transport, profile: NamedProfile, opts: StartServingOptions): Promise<ServingJob> {
  // npu-smi now: the HBM baseline the stop is checked against, and the device facts for the checks when
  // no environment check result is given.
  const before = await readNpuSmi(transport, profile);
  const env = opts.env ?? (before ? envSnapshotFromNpuSmi(before) : undefined);
  const { result, model, command } = await checkBeforeLaunch(transport, profile, env);
  opts.onPreflight?.(result, model);
  if (!result.ok && !opts.force) throw new PreflightFailedError(result);
  const baseline = before ? hbmByDevice(before, command.devices) : null;
  const startedAt = Date.now();
  const { id } = await opts.jobs.start(transport, { argv: command.argv, env: command.env, name: `serve-${profile.name}` });
  const record: ServingJobRecord = {
    jobId: id,
    host: transport.label,
    profileName: profile.name,
    command,
    simulated: Boolean(profile.simRoot) || before?.devices.some((d) => /simulated/i.test(d.name)) === true,
    state: 'starting',
    startedAt,
    readyAt: null,
    loadTimeMs: null,
    endedAt: null,
    exitCode: null,
    failure: null,
    endpoint: null,
    logOffset: 0,
    baselineHbmMB: baseline ? Object.fromEntries(Object.entries(baseline).map(([k, v]) => [k, v.usedMB ?? 0])) : null,
  };
  const job = new ServingJob(transport, record, profile, { ...opts, readyTimeoutMs: opts.readyTimeoutMs ?? profile.readyTimeoutSec * 1000 });
  job.monitor();
  return job;
}

/** Pick up a serving job again (after a reconnect or reload) from its record, on a (new) transport. */
export function attachServing(transport: Transport, record: ServingJobRecord, profile: { simRoot?: string; readyTimeoutSec?: number }, opts: MonitorOptions): ServingJob {
  const job = new ServingJob(transport, { ...record, endpoint: null }, profile, {
    ...opts,
    readyTimeoutMs: opts.readyTimeoutMs ?? (profile.readyTimeoutSec ?? 1800) * 1000,
  });
  if (record.state === 'starting' || record.state === 'ready') job.monitor();
  return job;
}

/** The device part of an environment check, from one `npu-smi info`. */
export function envSnapshotFromNpuSmi(info: NpuSmiInfo): EnvSnapshot {
  return {
    npu: {
      devices: info.devices.map((d) => ({ npuId: d.npuId, chipId: d.chipId, name: d.name, health: d.health, hbmUsedMB: d.hbmUsedMB ?? d.memUsedMB, hbmTotalMB: d.hbmTotalMB ?? d.memTotalMB })),
      processes: info.processes.map((p) => ({ npuId: p.npuId, chipId: p.chipId, pid: p.pid, name: p.name, memoryMB: p.memoryMB })),
    },
  };
}

/**
 * A serving job found on the host (`DetachedJobs.list()`, e.g. after VS Code reloaded and lost its records)
 * → a record to re-attach with. Null when the job is not a `vllm serve` job. Port, served name and devices
 * are read from the job's own argv/env, not from the (possibly edited) profile.
 */
export function servingRecordFromJob(job: { id: string; name: string; argv: string[]; env: Record<string, string>; startedAtMs: number; state: string; exitCode: number | null }, host: string): ServingJobRecord | null {
  const serveAt = job.argv.indexOf('serve');
  if (serveAt < 0 || !job.name.startsWith('serve-')) return null;
  const { simRoot, argv: vllmArgv } = unwrapSimEnv(job.argv);
  const opt = (flag: string): string | undefined => {
    const i = vllmArgv.indexOf(flag);
    if (i >= 0) return vllmArgv[i + 1];
    const eq = vllmArgv.find((a) => a.startsWith(`${flag}=`));
    return eq?.slice(flag.length + 1);
  };
  const model = vllmArgv[vllmArgv.indexOf('serve') + 1] ?? '';
  const tp = Number(opt('--tensor-parallel-size') ?? 1);
  const pp = Number(opt('--pipeline-parallel-size') ?? 1);
  const dp = Number(opt('--data-parallel-size') ?? 1);
  const devices = (job.env.ASCEND_RT_VISIBLE_DEVICES ?? '').split(',').filter((x) => /^\d+$/.test(x.trim())).map(Number);
  const running = job.state === 'running';
  return {
    jobId: job.id,
    host,
    profileName: job.name.slice('serve-'.length),
    command: {
      argv: job.argv,
      vllmArgv,
      env: job.env,
      display: quoteCommand(vllmArgv, job.env),
      servedModelName: opt('--served-model-name') ?? model,
      port: Number(opt('--port') ?? 8000),
      devices,
      worldSize: tp * pp * dp,
    },
    simulated: simRoot !== null,
    state: running ? 'starting' : 'exited',
    startedAt: job.startedAtMs,
    readyAt: null,
    loadTimeMs: null,
    endedAt: running ? null : Date.now(),
    exitCode: job.exitCode,
    failure: null,
    endpoint: null,
    logOffset: 0,
    baselineHbmMB: null,
    recovered: true,
  };
}

function hbmByDevice(info: NpuSmiInfo, devices: number[]): Record<string, { npuId: number; chipId: number; usedMB: number | null; totalMB: number | null }> {
  const out: Record<string, { npuId: number; chipId: number; usedMB: number | null; totalMB: number | null }> = {};
  for (const d of devices) {
    const dev = info.devices[d];
    if (!dev) continue;
    const used = dev.hbmUsedMB ?? dev.memUsedMB;
    const total = dev.hbmTotalMB ?? dev.memTotalMB;
    out[String(d)] = { npuId: dev.npuId, chipId: dev.chipId, usedMB: used, totalMB: total };
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ServingJob extends EventEmitter<ServingEvents> {
  private rec: ServingJobRecord;
  private forward: ForwardedPort | null = null;
  private readonly watcher: LogWatcher;
  private running = false;
  private disposed = false;
  private stopping = false;
  private fatalSince: number | null = null;
  private sawNotReady = false;
  private loop: Promise<void> | null = null;
  private readonly pollMs: number;
  private readonly failGraceMs: number;
  private readonly readyTimeoutMs: number;
  private readonly jobs: JobControl;
  private readonly idleToleranceMB: number;
  private readyWaiters: Array<(r: ServingJobRecord) => void> = [];

  constructor(
    private transport: Transport,
    record: ServingJobRecord,
    private readonly profile: { simRoot?: string },
    opts: MonitorOptions & { readyTimeoutMs: number },
  ) {
    super();
    this.rec = { ...record };
    this.jobs = opts.jobs;
    this.pollMs = opts.pollMs ?? 1000;
    this.failGraceMs = opts.failGraceMs ?? 20_000;
    this.readyTimeoutMs = opts.readyTimeoutMs;
    this.idleToleranceMB = opts.idleToleranceMB ?? 512;
    // The watcher restarts at the record's offset: findings before it were reported by an earlier monitor.
    this.watcher = new LogWatcher((f) => this.emit('finding', f, localize(f.error)), record.logOffset);
  }

  get id(): string {
    return this.rec.jobId;
  }

  get state(): ServingState {
    return this.rec.state;
  }

  /** A copy of the current record (store it to re-attach later). */
  record(): ServingJobRecord {
    return JSON.parse(JSON.stringify(this.rec)) as ServingJobRecord;
  }

  findings(): Array<LogFinding & { localized: LocalizedError }> {
    return this.watcher.findings.map((f) => ({ ...f, localized: localize(f.error) }));
  }

  /** Resolves when the job leaves `starting` (ready, failed or ended). */
  waitReady(): Promise<ServingJobRecord> {
    if (this.rec.state !== 'starting') return Promise.resolve(this.record());
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Resolves when the job is in one of the given states. */
  waitFor(states: ServingState[]): Promise<ServingJobRecord> {
    if (states.includes(this.rec.state)) return Promise.resolve(this.record());
    return new Promise((resolve) => {
      const on = (r: ServingJobRecord) => {
        if (states.includes(r.state)) {
          this.off('state', on);
          resolve(r);
        }
      };
      this.on('state', on);
    });
  }

  /** The server's URL on this machine (forwarding its port from the host on first use). */
  endpointUrl(): Promise<string> {
    return this.ensureEndpoint();
  }

  /** Use another transport (after a reconnect); the forwarded port is made again on it. */
  async useTransport(t: Transport): Promise<void> {
    this.transport = t;
    await this.closeForward();
  }

  /** Start (or resume) the monitor loop. */
  monitor(): void {
    if (this.running || this.disposed) return;
    this.running = true;
    this.loop = this.run().finally(() => {
      this.running = false;
    });
  }

  /**
   * Follow the job's log from a byte offset: each new piece goes to onData with the offset it starts at.
   * Stops when detached, or when the job has ended and the log is read to its end.
   */
  attachLog(fromOffset: number, onData: (chunk: Buffer, offset: number) => void, opts: { followMs?: number } = {}): { detach(): void; offset(): number; done: Promise<void> } {
    let offset = fromOffset;
    let detached = false;
    const follow = opts.followMs ?? this.pollMs;
    const done = (async () => {
      while (!detached) {
        let got = 0;
        let ended = false;
        try {
          const r = await this.jobs.readLog(this.transport, this.rec.jobId, offset, READ_CHUNK);
          if (detached) break;
          if (r.data.length > 0) {
            onData(r.data, offset);
            offset = r.next;
            got = r.data.length;
          }
          // The job layer says the process is gone (status taken before the read: the log is complete).
          ended = r.status !== undefined && !r.status.running;
        } catch {
          // The link is down: keep the offset, try again (the caller may switch transports).
        }
        if (got === READ_CHUNK) continue;
        if (got === 0 && (ended || (this.isEnded() && !this.running))) break;
        await sleep(follow);
      }
    })();
    return {
      detach: () => {
        detached = true;
      },
      offset: () => offset,
      done,
    };
  }

  /** Read the log from an offset once (no following). */
  readLog(fromOffset: number, maxBytes = READ_CHUNK): Promise<{ data: Buffer; next: number }> {
    return this.jobs.readLog(this.transport, this.rec.jobId, fromOffset, maxBytes);
  }

  /**
   * Stop the server: TERM to its process group, KILL after the grace period (the job layer), then check
   * with npu-smi that the job's devices are back to idle HBM and no process is left on them.
   */
  async stop(): Promise<StopReport> {
    this.stopping = true;
    const r = await this.jobs.stop(this.transport, this.rec.jobId);
    await this.drainLog();
    const report = await this.verifyIdle(r.leftover);
    if (this.rec.state === 'starting' || this.rec.state === 'ready') {
      this.rec.endedAt = Date.now();
      this.setState('stopped');
    }
    await this.dispose();
    return report;
  }

  /** Stop monitoring and close the forwarded port; the server keeps running. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.loop?.catch(() => undefined);
    await this.closeForward();
  }

  // ---- internals ------------------------------------------------------------------------------------
  private isEnded(): boolean {
    return this.rec.state === 'failed' || this.rec.state === 'stopped' || this.rec.state === 'exited';
  }

  private setState(s: ServingState): void {
    this.rec.state = s;
    const copy = this.record();
    this.emit('state', copy);
    if (s !== 'starting') {
      const w = this.readyWaiters;
      this.readyWaiters = [];
      for (const f of w) f(copy);
    }
  }

  private async closeForward(): Promise<void> {
    const f = this.forward;
    this.forward = null;
    this.rec.endpoint = null;
    if (f) await f.close().catch(() => undefined);
  }

  /** Read the log to its current end (feeding the watcher); returns the job status seen by the first read. */
  private async drainLog(opts: { throwOnError?: boolean } = {}): Promise<JobStatus | undefined> {
    let first: JobStatus | undefined;
    for (;;) {
      let r: { data: Buffer; next: number; status?: JobStatus };
      try {
        r = await this.jobs.readLog(this.transport, this.rec.jobId, this.rec.logOffset, READ_CHUNK);
      } catch (e) {
        if (opts.throwOnError) throw e;
        return first;
      }
      first ??= r.status;
      if (r.data.length === 0) return first;
      this.emit('log', r.data, this.rec.logOffset);
      this.watcher.feed(r.data);
      this.rec.logOffset = r.next;
      if (this.fatalSince === null && this.watcher.findings.some((f) => f.error.severity === 'fatal')) this.fatalSince = Date.now();
      if (r.data.length < READ_CHUNK) return first;
    }
  }

  private failureFromLog(fallback: string): ServingFailure {
    this.watcher.end();
    const f = this.watcher.primary();
    if (!f) return { message: fallback, error: null, line: null, text: null };
    const loc = localize(f.error);
    return { message: `${loc.title}: ${loc.explanation}`, error: loc, line: f.line, text: f.text };
  }

  private async ensureEndpoint(): Promise<string> {
    if (!this.forward) {
      this.forward = await this.transport.forwardPort(this.rec.command.port, '127.0.0.1');
      this.rec.endpoint = `http://127.0.0.1:${this.forward.localPort}`;
    }
    return this.rec.endpoint!;
  }

  private async probeReady(): Promise<boolean> {
    let endpoint: string;
    try {
      endpoint = await this.ensureEndpoint();
    } catch {
      return false;
    }
    if (!(await checkHealth(endpoint, { timeoutMs: 5_000 }))) return false;
    try {
      const models = await listModels(endpoint, { timeoutMs: 5_000 });
      if (models.simulated) this.rec.simulated = true;
      return models.ids.includes(this.rec.command.servedModelName);
    } catch {
      return false;
    }
  }

  private async run(): Promise<void> {
    while (!this.disposed && !this.isEnded()) {
      if (this.stopping) return;
      let status: JobStatus;
      try {
        // The status comes with the first log read when the job layer offers it (one round trip per poll).
        // It is taken BEFORE the rest of the log is read, so an exit is only acted on with the full log.
        status = (await this.drainLog({ throwOnError: true })) ?? (await this.jobs.status(this.transport, this.rec.jobId));
        if (!status.running) await this.drainLog();
      } catch {
        // Link trouble: wait and retry; the record keeps its state.
        await sleep(this.pollMs);
        continue;
      }
      if (this.stopping) return;
      const now = Date.now();
      if (!status.running) {
        this.watcher.end();
        this.rec.exitCode = status.exitCode;
        this.rec.endedAt = now;
        if (this.rec.state === 'starting') {
          const known = status.startError ? recogniseLine(status.startError) : undefined;
          this.rec.failure = status.startError
            ? { message: l10n.t('the server could not be started: {0}', status.startError), error: known ? localize(known) : null, line: null, text: status.startError }
            : this.failureFromLog(l10n.t('the server exited with code {0} before it was ready', String(status.exitCode ?? '?')));
          this.setState('failed');
        } else {
          this.rec.failure = this.watcher.primary() ? this.failureFromLog('') : null;
          this.setState('exited');
        }
        await this.closeForward();
        return;
      }
      if (this.rec.state === 'starting') {
        if (this.fatalSince !== null && now - this.fatalSince >= this.failGraceMs) {
          this.rec.failure = this.failureFromLog(l10n.t('a fatal error was logged'));
          await this.abort();
          return;
        }
        if (now - this.rec.startedAt > this.readyTimeoutMs) {
          this.rec.failure = this.watcher.primary()
            ? this.failureFromLog('')
            : { message: l10n.t('not ready after {0} s', Math.round(this.readyTimeoutMs / 1000)), error: null, line: null, text: null };
          await this.abort();
          return;
        }
        if (this.fatalSince === null && (await this.probeReady())) {
          this.rec.readyAt = Date.now();
          // A recovered job found already serving: when it became ready is unknown.
          this.rec.loadTimeMs = this.rec.recovered && !this.sawNotReady ? null : this.rec.readyAt - this.rec.startedAt;
          this.setState('ready');
        } else {
          this.sawNotReady = true;
        }
      }
      await sleep(this.pollMs);
    }
  }

  /** A launch that will not come up: stop its processes, then report it failed. */
  private async abort(): Promise<void> {
    try {
      await this.jobs.stop(this.transport, this.rec.jobId);
    } catch {
      /* reported as failed all the same */
    }
    await this.drainLog();
    this.rec.endedAt = Date.now();
    this.setState('failed');
    await this.closeForward();
  }

  private async verifyIdle(leftoverPids: number[]): Promise<StopReport> {
    const devices = this.rec.command.devices;
    let last: StopReport = { leftoverPids, npuProcesses: [], devices: [], checked: false, idle: leftoverPids.length === 0 };
    // HBM is released a moment after the processes exit on real hosts: look a few times.
    for (let attempt = 0; attempt < 5; attempt++) {
      const info = await readNpuSmi(this.transport, this.profile);
      if (!info) return last;
      const byDev = hbmByDevice(info, devices);
      const procs = info.processes
        .filter((p) => Object.values(byDev).some((d) => d.npuId === p.npuId && d.chipId === p.chipId))
        .map((p) => ({ npuId: p.npuId, chipId: p.chipId, pid: p.pid, name: p.name, memoryMB: p.memoryMB }));
      const devs: DeviceAfterStop[] = Object.entries(byDev).map(([k, d]) => {
        const base = this.rec.baselineHbmMB?.[k] ?? null;
        const busy = procs.some((p) => p.npuId === d.npuId && p.chipId === d.chipId);
        const withinBaseline = d.usedMB === null ? true : base !== null ? d.usedMB <= base + this.idleToleranceMB : d.totalMB !== null ? d.usedMB <= d.totalMB * 0.1 : true;
        return { device: Number(k), npuId: d.npuId, chipId: d.chipId, usedMB: d.usedMB, totalMB: d.totalMB, baselineMB: base, idle: !busy && withinBaseline };
      });
      last = { leftoverPids, npuProcesses: procs, devices: devs, checked: true, idle: leftoverPids.length === 0 && devs.every((d) => d.idle) };
      if (last.idle) return last;
      await sleep(1000);
    }
    return last;
  }
}

import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { QuantizePlan } from '../core/quantize/plan';
import type { QuantizeRecord, QuantizeSpec, QuantizeJob } from '../core/quantize/job';
import type { QuantCheck } from '../core/quantize/precheck';
import type { Config } from './config';
import { LOCAL_ID, SIM_ID, type Hosts } from './hosts';
import type { Notifier } from './notify';

/**
 * Quantization jobs from VS Code: planned and pre-checked on the host, started as detached jobs (they survive
 * a reload), followed with a progress notification and a Jobs view row, stopped with nothing left. When
 * msModelSlim asks "Enter y to continue", the job has ended at the question and a modal shows the tool's
 * own text; Continue starts it again with the answer. On success the serving profile is written and serving
 * offered. The questions go through `ui` (a test answers them).
 */

export interface TrackedQuantize {
  hostId: string;
  record: QuantizeRecord;
  /** The serving profile written for the output (null until then). */
  profile: string | null;
}

/** What the flow asks a person; replaced in the real-VS-Code suite. Undefined = cancelled. */
export interface QuantizeUi {
  /** msModelSlim's own question (modal). True = continue with y. */
  confirm(question: string): Promise<boolean>;
  /** Failed pre-checks (modal). True = start anyway. */
  startAnyway(failed: QuantCheck[]): Promise<boolean>;
  /** A line of text (a folder on the host). */
  text(title: string, prompt: string, value?: string): Promise<string | undefined>;
  /** One of the items (label, with an optional description / detail). */
  pick(title: string, placeHolder: string, items: Array<{ label: string; description?: string; detail?: string }>): Promise<string | undefined>;
}

const defaultUi: QuantizeUi = {
  async text(title, prompt, value) {
    return (await vscode.window.showInputBox({ title, prompt, value, ignoreFocusOut: true }))?.trim() || undefined;
  },
  async pick(title, placeHolder, items) {
    return (await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true }))?.label;
  },
  async confirm(question) {
    const go = l10n.t('Continue');
    return (await vscode.window.showWarningMessage(l10n.t('msModelSlim asks:'), { modal: true, detail: question }, go)) === go;
  },
  async startAnyway(failed) {
    const go = l10n.t('Start Anyway');
    const detail = failed.map((c) => `✗ ${c.title}: ${c.detail}${c.fix ? `\n   → ${c.fix}` : ''}`).join('\n');
    return (await vscode.window.showWarningMessage(l10n.t('Not started: {0} pre-check(s) failed.', failed.length), { modal: true, detail }, go)) === go;
  },
};

const STATE_KEY = 'ascend.quantizeJobs';

export class Quantizations implements vscode.Disposable {
  ui: QuantizeUi = defaultUi;
  private readonly tracked = new Map<string, TrackedQuantize>();
  private readonly live = new Map<string, QuantizeJob>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly d: { hosts: Hosts; config: Config; notifier: Notifier; log: vscode.LogOutputChannel; state: vscode.Memento }) {
    for (const t of d.state.get<TrackedQuantize[]>(STATE_KEY, [])) this.tracked.set(t.record.jobId, t);
  }

  all(): TrackedQuantize[] {
    return [...this.tracked.values()].sort((a, b) => (a.record.startedAt < b.record.startedAt ? 1 : -1));
  }

  get(id: string): TrackedQuantize | undefined {
    return this.tracked.get(id);
  }

  /** The plan of a model folder on a host (GPTQ → the float original, float → the model types). */
  async plan(hostId: string, model: string): Promise<QuantizePlan> {
    const { hostSite, probeModel } = await import('../core/quantize/host');
    const { planQuantization } = await import('../core/quantize/plan');
    const site = await hostSite(await this.d.hosts.transport(hostId), undefined, this.d.config.settings.pythonPath);
    const { facts, siblings } = await probeModel(site, model, true);
    return planQuantization({ model: facts, siblings });
  }

  /** Plan + pre-checks + start; the job is then followed in the background. Resolves with the job id. */
  async start(hostId: string, spec: QuantizeSpec, force = false): Promise<string | undefined> {
    const { prepareQuantize, startQuantize, QuantizeRefusedError } = await import('../core/quantize/job');
    const transport = await this.d.hosts.transport(hostId);
    let prep;
    try {
      prep = await prepareQuantize(transport, spec, { force });
    } catch (e) {
      if (e instanceof QuantizeRefusedError && e.checks.length) {
        if (await this.ui.startAnyway(e.checks.filter((c) => c.status === 'fail'))) return this.start(hostId, spec, true);
        return undefined;
      }
      throw e;
    }
    for (const c of prep.checks) this.d.log.info(`quantize pre-check ${c.status}: ${c.title}: ${c.detail}`);
    const job = await startQuantize(transport, spec, prep);
    this.track(hostId, job.record());
    void this.follow(hostId, job, spec);
    return job.id;
  }

  async stop(id: string): Promise<{ leftovers: number[] }> {
    const t = this.tracked.get(id);
    if (!t) throw new Error(l10n.t('Unknown job {0}', id));
    const job = this.live.get(id) ?? (await import('../core/quantize/job')).attachQuantize(await this.d.hosts.transport(t.hostId), t.record);
    const r = await job.stop();
    this.update(id, { record: job.record() });
    return r;
  }

  /**
   * After a reload: running jobs on hosts that need no prompt (this machine, the simulated host, connected
   * ssh hosts) are followed again from their stored records; their progress and outcome show as before.
   */
  async resume(): Promise<void> {
    const { attachQuantize } = await import('../core/quantize/job');
    for (const t of this.all()) {
      if (t.record.state !== 'running' || this.live.has(t.record.jobId)) continue;
      if (t.hostId.startsWith('ssh:') && this.d.hosts.state(t.hostId) !== 'connected') continue;
      try {
        const job = attachQuantize(await this.d.hosts.transport(t.hostId), t.record);
        void this.follow(t.hostId, job, { model: t.record.model, out: t.record.outDir });
      } catch (e) {
        this.d.log.warn(`re-attach quantize ${t.record.jobId}: ${(e as Error).message}`);
      }
    }
  }

  clearFinished(): void {
    for (const [id, t] of this.tracked) if (t.record.state !== 'running') this.tracked.delete(id);
    this.emitter.fire('');
    void this.save();
  }

  private async follow(hostId: string, job: QuantizeJob, spec: QuantizeSpec): Promise<void> {
    const id = job.id;
    this.live.set(id, job);
    const name = path.basename(spec.out);
    try {
      const rec = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: l10n.t('Quantizing {0}', name), cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => void this.stop(id).catch((e: Error) => this.d.log.warn(`stop ${id}: ${e.message}`)));
          let last = 0;
          return job.follow({
            onProgress: (p) => {
              progress.report({ increment: Math.max(0, p.fraction * 100 - last), message: `${p.phase}${p.block !== null ? ` ${p.block}/${p.blocks ?? '?'}` : ''}` });
              last = p.fraction * 100;
              this.update(id, { record: job.record() });
            },
          });
        },
      );
      this.update(id, { record: rec });
      await this.outcome(hostId, rec, spec);
    } catch (e) {
      void this.d.notifier.error(l10n.t('Quantize job {0}: {1}', id, (e as Error).message), e);
    } finally {
      this.live.delete(id);
    }
  }

  private async outcome(hostId: string, rec: QuantizeRecord, spec: QuantizeSpec): Promise<void> {
    const sim = rec.simulated ? ` [${l10n.t('SIMULATED')}]` : '';
    if (rec.state === 'needs-confirmation') {
      if (rec.question && (await this.ui.confirm(rec.question))) await this.start(hostId, { ...spec, yes: true });
      return;
    }
    if (rec.state === 'failed') {
      const f = rec.failure?.error;
      void this.d.notifier.error(f ? l10n.t('Quantization failed: {0} — {1} Fix: {2}', f.title, f.explanation, f.fix) + sim : l10n.t('Quantization failed: {0}', rec.failure?.message ?? '?') + sim);
      return;
    }
    if (rec.state !== 'succeeded') return;
    if (rec.check && rec.check.errors > 0) {
      void this.d.notifier.warn(l10n.t('Quantized into {0}, but the output has {1} error(s): {2}', rec.outDir, rec.check.errors, rec.check.messages[0] ?? ''));
      return;
    }
    const profile = await this.writeProfile(hostId, rec, spec);
    this.update(rec.jobId, { profile });
    const serve = l10n.t('Start Serving');
    const d = rec.description;
    const pick = await this.d.notifier.info(
      l10n.t('Quantized into {0}: {1}, {2} linear/MoE weights covered, {3} missing. Profile "{4}" written.', rec.outDir, d?.modelQuantType ?? '?', String(d?.covered ?? 0), String(d?.missing.length ?? 0), profile ?? '-') + sim,
      ...(profile ? [serve] : []),
    );
    if (pick === serve && profile) await vscode.commands.executeCommand('ascend.serve.start', { profile });
  }

  private async writeProfile(hostId: string, rec: QuantizeRecord, spec: QuantizeSpec): Promise<string | null> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || !vscode.workspace.isTrusted) return null;
    const { writeQuantizedProfile } = await import('../core/quantize/profile');
    const host = hostId === LOCAL_ID ? 'local' : hostId === SIM_ID ? 'sim' : hostId.replace(/^ssh:/, '');
    try {
      return writeQuantizedProfile(path.join(folder.uri.fsPath, 'ascend-adapt.json'), { outDir: rec.outDir, sources: [spec.model], host, quantType: spec.quantType ?? 'w8a8' }).name;
    } catch (e) {
      void this.d.notifier.error(l10n.t('The serving profile could not be written: {0}', (e as Error).message), e);
      return null;
    }
  }

  private track(hostId: string, record: QuantizeRecord): void {
    this.tracked.set(record.jobId, { hostId, record, profile: null });
    this.emitter.fire(record.jobId);
    void this.save();
  }

  private update(id: string, change: Partial<TrackedQuantize>): void {
    const t = this.tracked.get(id);
    if (!t) return;
    Object.assign(t, change);
    this.emitter.fire(id);
    void this.save();
  }

  private save(): Thenable<void> {
    return this.d.state.update(STATE_KEY, [...this.tracked.values()]);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createProfileOptions, jobRef, serveStartOptions } from './args';
import { pickHost } from './hostPick';
import { LOCAL_ID, SIM_ID, type Hosts } from './hosts';
import type { Transport } from '../core/transport/transport';
import type { Commands } from './commands';
import { isRunning, type TrackedJob } from './jobResults';
import type { Notifier } from './notify';
import type { Serving } from './serving';
import { isClusterRunning, type ClusterServing, type TrackedCluster } from './cluster';
import { requireTrust } from './trust';
import type { Views } from './views';
import { stateText } from './views/format';
import { JobNode } from './views/jobs';

/** Serving commands and the Jobs view: start a profile, attach, stop, open the log, smoke prompts. */

export interface ServingFeature {
  serving: Serving;
  /** Multi-node jobs: a profile with "multiNode" starts there; Stop, Attach and Open Log take their rows too. */
  clusters: ClusterServing;
  hosts: Hosts;
  views: Views;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
}

export function registerServingCommands(commands: Commands, d: ServingFeature): vscode.Disposable {
  const { serving, notifier } = d;
  const tree = d.views.trees['ascend.jobs'];
  const jobsView = d.views.views['ascend.jobs'];
  tree.setRoots(() => serving.all().map((j) => new JobNode(j)));
  const subs: vscode.Disposable[] = [serving.onDidChange(() => tree.refresh())];
  // Uptime in the Jobs view moves while something runs.
  const timer = setInterval(() => {
    if (serving.all().some(isRunning)) tree.refresh();
  }, 10_000);
  subs.push({ dispose: () => clearInterval(timer) });
  const running = isRunning;
  // After a reload the saved records come back; once the Jobs view is shown, running jobs on hosts that
  // need no prompt (this machine, the simulated host, already-connected ssh hosts) are re-attached so
  // their state moves again. Others re-attach on the first action (attach, stop, smoke).
  const reattach = () => {
    for (const j of serving.all()) {
      if (!running(j)) continue;
      const quiet = !j.hostId.startsWith('ssh:') || d.hosts.state(j.hostId) === 'connected';
      if (quiet) void serving.liveJob(j.record.jobId).catch((e: Error) => d.log.warn(`re-attach ${j.record.jobId}: ${e.message}`));
    }
  };
  subs.push(jobsView.onDidChangeVisibility((e) => e.visible && reattach()));
  if (jobsView.visible) reattach();

  const { clusters } = d;
  /** A serving job, or (when `withClusters`) a multi-node job, given or picked; its id. */
  const pickJob = async (given: string | undefined, filter: (j: TrackedJob) => boolean, placeHolder: string, withClusters?: (j: TrackedCluster) => boolean): Promise<string | undefined> => {
    if (given) {
      if (!serving.get(given) && !(withClusters && clusters.get(given))) throw new Error(l10n.t('Unknown job {0}', given));
      return given;
    }
    const items = [
      ...serving.all().filter(filter).map((j) => ({ label: j.record.profileName, description: `${j.record.host} · ${stateText(j.record.state)}`, id: j.record.jobId })),
      ...(withClusters ? clusters.all().filter(withClusters) : []).map((j) => ({
        label: j.record.profileName,
        description: `${l10n.t('{0} nodes', j.record.nodes.length)} · ${stateText(j.record.state)}${j.record.simulated ? ` · ${l10n.t('SIMULATED')}` : ''}`,
        id: j.record.id,
      })),
    ];
    if (items.length === 1) return items[0].id;
    if (items.length === 0) {
      void notifier.info(l10n.t('No serving job to act on. Start one with "Ascend: Start Serving".'));
      return undefined;
    }
    const p = await vscode.window.showQuickPick(items, { placeHolder });
    return p?.id;
  };

  commands.register('ascend.serve.start', [serveStartOptions.optional()], async (opts) => {
    requireTrust(l10n.t('Start Serving'));
    const cfg = await serving.loadConfig();
    if (!cfg || Object.keys(cfg.config.profiles).length === 0) {
      const create = l10n.t('Create ascend-adapt.json');
      const pick = await notifier.info(l10n.t('No launch profile found: add ascend-adapt.json with a profile to the workspace.'), create);
      if (pick === create) await vscode.commands.executeCommand('ascend.serve.createProfile');
      return undefined;
    }
    const want = opts?.profile;
    const names = Object.keys(cfg.config.profiles);
    const name = want ?? (names.length === 1 ? names[0] : (await vscode.window.showQuickPick(names.map((n) => ({ label: n, description: cfg.config.profiles[n].description ?? cfg.config.profiles[n].modelPath })), { placeHolder: l10n.t('Serve which profile?') }))?.label);
    if (!name) return undefined;
    const { getProfile } = await import('../core/profiles/load');
    const profile = getProfile(cfg.config, name, vscode.workspace.asRelativePath(cfg.file));
    if (profile.multiNode) {
      // Checked on every node, then launched as one job.
      return vscode.window.withProgress(
        { location: { viewId: 'ascend.jobs' }, title: l10n.t('Checking the {0} nodes of {1}, then launching…', profile.nodes?.length ?? 0, name) },
        () => clusters.start(profile, false),
      );
    }
    const job = await vscode.window.withProgress(
      { location: { viewId: 'ascend.jobs' }, title: l10n.t('Launching {0}…', name) },
      () => serving.start(profile, false),
    );
    return job?.id;
  });

  commands.register('ascend.serve.createProfile', [createProfileOptions.optional()], async (o) => {
    requireTrust(l10n.t('Start Serving'));
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error(l10n.t('Open a folder first: ascend-adapt.json lives in the workspace.'));
    // The profile serves on a host: the model folder is checked there before anything is written.
    const hostId = o?.host ?? d.hosts.activeId ?? (d.hosts.simDir ? SIM_ID : undefined) ?? (await pickHost(d.hosts, l10n.t('Serve on which host?')))?.id;
    if (!hostId) return undefined;
    const transport = await d.hosts.transport(hostId);
    const title = (n: number) => l10n.t('New serving profile ({0}/3)', n);
    let modelPath = o?.modelPath;
    let problem: string | undefined;
    for (;;) {
      modelPath ??= await vscode.window.showInputBox({
        title: title(1),
        prompt: problem ?? l10n.t('Model folder on the host (holding config.json and the weights)'),
        value: problem ? undefined : await suggestedModel(d, hostId),
        ignoreFocusOut: true,
      });
      if (!modelPath) return undefined;
      problem = await missingConfig(transport, modelPath);
      if (!problem) break;
      // Given as an argument (a test, a link): refuse rather than ask.
      if (o?.modelPath) throw new Error(problem);
      void d.log.warn(problem);
      modelPath = undefined;
    }
    const name =
      o?.name ??
      (await vscode.window.showInputBox({ title: title(2), prompt: l10n.t('Profile name'), value: path.basename(modelPath).toLowerCase().replace(/[^\w.-]+/g, '-'), validateInput: (v) => (/^\S+$/.test(v) ? undefined : l10n.t('No spaces')) }));
    if (!name) return undefined;
    const tp = o?.tensorParallelSize ?? Number(await vscode.window.showQuickPick(['1', '2', '4', '8'], { title: title(3), placeHolder: l10n.t('Tensor-parallel size (NPUs per model replica)') }));
    if (!tp) return undefined;
    const file = vscode.Uri.joinPath(folder.uri, 'ascend-adapt.json');
    let existing: Record<string, unknown> = {};
    try {
      existing = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8')) as Record<string, unknown>;
    } catch {
      existing = {};
    }
    const host = hostId === SIM_ID ? 'sim' : hostId === LOCAL_ID ? 'local' : hostId.replace(/^ssh:/, '');
    const profiles = { ...((existing.profiles as Record<string, unknown>) ?? {}), [name]: { host, modelPath, servedModelName: name, tensorParallelSize: tp, maxModelLen: 8192, dtype: 'bfloat16', enforceEager: true } };
    const { parseConfig } = await import('../core/profiles/load');
    const text = JSON.stringify({ ...existing, profiles }, null, 2) + '\n';
    parseConfig(text); // the file we write must load
    await vscode.workspace.fs.writeFile(file, Buffer.from(text, 'utf8'));
    await vscode.window.showTextDocument(file);
    return name;
  });

  commands.register('ascend.jobs.attach', [jobRef.optional()], async (given) => {
    const id = await pickJob(given, () => true, l10n.t('Attach to which job?'), () => true);
    if (!id) return undefined;
    // A multi-node job: every node's log, each in its own tab.
    const cluster = clusters.get(id);
    if (cluster) return cluster.record.nodes.map((n) => clusters.openTerminal(id, n.host).name);
    return serving.openTerminal(id).name;
  });

  commands.register('ascend.jobs.stop', [jobRef.optional()], async (given) => {
    const id = await pickJob(given, running, l10n.t('Stop which job?'), isClusterRunning);
    if (!id) return undefined;
    if (clusters.get(id)) return stopCluster(id);
    const rep = await vscode.window.withProgress({ location: { viewId: 'ascend.jobs' }, title: l10n.t('Stopping…') }, () => serving.stop(id));
    if (rep.idle) void notifier.info(l10n.t('Stopped; the NPUs are back to idle and no process is left.'));
    else if (!rep.checked) void notifier.warn(l10n.t('Stopped; npu-smi could not be read to check the NPUs.'));
    else void notifier.warn(l10n.t('Stopped, but the NPUs are not idle: {0}', [...rep.npuProcesses.map((p) => `pid ${p.pid} (${p.name}) ${p.memoryMB} MB on NPU ${p.npuId}`), ...rep.leftoverPids.map((p) => `pid ${p}`)].join('; ')));
    return rep;
  });

  const stopCluster = async (id: string) => {
    const rep = await vscode.window.withProgress({ location: { viewId: 'ascend.jobs' }, title: l10n.t('Stopping every node…') }, () => clusters.stop(id));
    const notIdle = rep.nodes.filter((n) => !n.idle);
    if (rep.idle) void notifier.info(l10n.t('Stopped on every node; the NPUs are back to idle and no process is left.'));
    else void notifier.warn(l10n.t('Stopped, but not everything ended: {0}', notIdle.map((n) => `${n.host}: ${!n.reached ? l10n.t('not reachable') : [...n.leftoverPids.map((p) => `pid ${p}`), ...n.npuProcesses.map((p) => `pid ${p.pid} (${p.name}) NPU ${p.device}`)].join(', ') || l10n.t('npu-smi could not be read')}`).join('; ')));
    return rep;
  };

  commands.register('ascend.jobs.openLog', [jobRef.optional()], async (given) => {
    const id = await pickJob(given, () => true, l10n.t('Open the log of which job?'));
    if (!id) return undefined;
    const job = await serving.liveJob(id);
    const chunks: Buffer[] = [];
    let off = 0;
    for (;;) {
      const r = await job.readLog(off);
      if (r.data.length === 0) break;
      chunks.push(r.data);
      off = r.next;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'ascend-log', content: Buffer.concat(chunks).toString('utf8') });
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc.uri;
  });

  commands.register('ascend.jobs.copyEndpoint', [jobRef.optional()], async (given) => {
    const id = await pickJob(given, (j) => j.record.state === 'ready', l10n.t('Copy the endpoint of which job?'));
    if (!id) return undefined;
    const url = `${await (await serving.liveJob(id)).endpointUrl()}/v1`;
    await vscode.env.clipboard.writeText(url);
    void notifier.info(l10n.t('Endpoint copied: {0}', url));
    return url;
  });

  commands.register('ascend.jobs.clearFinished', [], async () => {
    for (const j of serving.all()) if (!running(j)) serving.forget(j.record.jobId);
    for (const j of clusters.all()) if (!isClusterRunning(j)) clusters.forget(j.record.id);
  });

  commands.register('ascend.serve.smoke', [jobRef.optional()], async (given) => {
    requireTrust(l10n.t('Run Smoke Test'));
    const id = await pickJob(given, running, l10n.t('Run the smoke test against which server?'), (j) => j.record.state === 'ready');
    if (!id) return undefined;
    const write = new vscode.EventEmitter<string>();
    const opened = new Promise<void>((r) => {
      const term = vscode.window.createTerminal({
        name: l10n.t('Smoke test {0}', serving.get(id)?.record.profileName ?? clusters.get(id)?.record.profileName ?? id),
        iconPath: new vscode.ThemeIcon('comment-discussion'),
        pty: { onDidWrite: write.event, open: () => r(), close: () => undefined },
      });
      term.show(true);
    });
    await Promise.race([opened, new Promise((r) => setTimeout(r, 3000))]);
    // A multi-node job answers through its head.
    const rep = await (clusters.get(id) ? clusters.smoke(id, (s) => write.fire(s)) : serving.smoke(id, (s) => write.fire(s)));
    write.fire(`\r\n\r\n${l10n.t('{0}/{1} prompts passed', rep.passed, rep.results.length)}${rep.simulated ? ` [${l10n.t('SIMULATED')}]` : ''}\r\n`);
    const text = l10n.t('Smoke test: {0}/{1} prompts passed', rep.passed, rep.results.length) + (rep.simulated ? ` [${l10n.t('SIMULATED')}]` : '');
    if (rep.failed) void notifier.warn(text);
    else void notifier.info(text);
    return rep;
  });

  return vscode.Disposable.from(...subs);
}

/** Why `modelPath` on the host is no model folder (no config.json), or undefined when it is one. */
async function missingConfig(t: Transport, modelPath: string): Promise<string | undefined> {
  const r = await t.exec(['test', '-f', path.posix.join(modelPath, 'config.json')], { timeoutMs: 30_000 });
  if (r.code === 0) return undefined;
  return l10n.t('No config.json in {0} on {1}: give the folder that holds the model\'s config.json and weights.', modelPath, t.label);
}

/** On the simulated host, its first model folder (DIR/models/…) as a starting value. */
async function suggestedModel(d: ServingFeature, hostId: string): Promise<string | undefined> {
  const dir = hostId === SIM_ID ? d.hosts.simDir : undefined;
  if (!dir) return undefined;
  const models = path.join(dir, 'models');
  const names = await vscode.workspace.fs.readDirectory(vscode.Uri.file(models)).then((e) => e.filter(([, t]) => t === vscode.FileType.Directory).map(([n]) => n), () => [] as string[]);
  return names.length ? path.join(models, names.sort()[0]) : undefined;
}

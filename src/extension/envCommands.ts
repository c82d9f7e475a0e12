import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { EnvReport } from '../core/checks/report';
import { checkRef, hostRef, snapshotTarget } from './args';
import type { Commands } from './commands';
import type { Config } from './config';
import type { EnvResults, HostResult } from './envResults';
import { resolveHost } from './hostPick';
import type { HostTarget, Hosts } from './hosts';
import type { Notifier } from './notify';
import type { Views } from './views';
import { HostResultNode, summaryText } from './views/environment';

/**
 * Environment check: the core's runEnvCheck (one probe round trip, then pure analysis) against the chosen
 * host; the Environment view shows the result, the Hosts view the NPUs. The view keeps each host's last
 * result with its time, also after the host disconnects.
 */

export interface EnvironmentFeature {
  hosts: Hosts;
  envResults: EnvResults;
  config: Config;
  views: Views;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** Written into snapshots ("ascend-adapt 0.1.0 (VS Code)"). */
  toolName: string;
  /** Where a snapshot is offered when no folder is open. */
  storageUri: vscode.Uri;
}

async function check(d: EnvironmentFeature, host: HostTarget): Promise<HostResult> {
  const { runEnvCheck } = await import('../core/probe/envcheck');
  return vscode.window.withProgress({ location: { viewId: 'ascend.environment' }, title: l10n.t('Checking the environment of {0}…', host.name) }, async () => {
    const t0 = Date.now();
    const transport = await d.hosts.transport(host.id);
    try {
      const r = await runEnvCheck(transport, { host: host.name, python: d.config.settings.pythonPath });
      const { raw, ...report } = r;
      // A simulated host is marked simulated even if its probe could not say so (e.g. it failed early).
      const rep: EnvReport = host.simulated ? { ...report, simulated: true } : report;
      d.log.info(`env check ${host.name}: ${summaryText(rep)} in ${Date.now() - t0} ms${raw.ok ? '' : ` (probe failed: ${raw.message})`}`);
      return d.envResults.set(host.id, host.name, rep, raw);
    } finally {
      // Local transports hold nothing; ssh transports belong to the pool and stay connected.
      if (transport.kind === 'local') await transport.close();
    }
  });
}

export function registerEnvironmentCommands(commands: Commands, d: EnvironmentFeature): vscode.Disposable {
  const { envResults, hosts, notifier } = d;
  const tree = d.views.trees['ascend.environment'];
  const view = d.views.views['ascend.environment'];
  tree.setRoots(() => envResults.all().map((r) => new HostResultNode(r)));
  const updateMessage = () => {
    const sim = envResults.all().some((r) => r.report.simulated);
    view.message = sim ? l10n.t('Results marked SIMULATED come from a simulated Atlas host, not from NPUs.') : undefined;
  };
  const sub = envResults.onDidChange(() => {
    tree.refresh();
    updateMessage();
  });
  updateMessage();

  commands.register('ascend.env.check', [hostRef.optional()], async (hostId) => {
    const host = await resolveHost(hosts, hostId, l10n.t('Run the environment check on which host?'));
    if (!host) return undefined;
    const res = await check(d, host);
    // The new result replaces the host's old one (one row per host, newest on top) and is shown.
    await view.reveal(new HostResultNode(res), { select: true, focus: false, expand: true }).then(undefined, (e: unknown) => d.log.warn(`reveal: ${String(e)}`));
    const s = res.report.summary;
    const text = l10n.t('Environment check of {0}: {1}', host.name + (res.report.simulated ? ` [${l10n.t('SIMULATED')}]` : ''), summaryText(res.report));
    if (s.fail > 0) void notifier.warn(text);
    else void notifier.info(text);
    return res;
  });

  commands.register('ascend.env.rerun', [hostRef.optional()], async (hostId) => {
    const ids = hostId ? [hostId] : envResults.all().map((r) => r.hostId);
    if (ids.length === 0) return vscode.commands.executeCommand('ascend.env.check');
    const out: HostResult[] = [];
    for (const hid of ids) {
      const host = await hosts.get(hid);
      if (host) out.push(await check(d, host));
      else d.log.warn(`re-run: host ${hid} is no longer configured; its last result stays`);
    }
    return out;
  });

  commands.register('ascend.env.saveSnapshot', [snapshotTarget.optional()], async (target) => {
    const withRaw = envResults.all().filter((r) => r.probe !== undefined);
    let res: HostResult | undefined = target?.hostId ? envResults.get(target.hostId) : undefined;
    if (target?.hostId && !res) throw new Error(l10n.t('No environment check result for {0}.', target.hostId));
    if (!res) {
      if (withRaw.length === 0) {
        void notifier.info(l10n.t('Run an environment check first: a snapshot holds the raw probe output of this session.'));
        return undefined;
      }
      res =
        withRaw.length === 1
          ? withRaw[0]
          : (await vscode.window.showQuickPick(withRaw.map((r) => ({ label: r.hostName, description: r.at, r })), { placeHolder: l10n.t('Save the snapshot of which host?') }))?.r;
    }
    if (!res) return undefined;
    if (res.probe === undefined) {
      void notifier.info(l10n.t('The raw probe output of {0} is from an earlier session; re-run the check to save a snapshot.', res.hostName));
      return undefined;
    }
    const dest =
      target?.uri ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? d.storageUri, `env-snapshot-${res.hostName.replace(/[^\w.-]+/g, '_')}.json`),
        filters: { JSON: ['json'] },
        title: l10n.t('Save Environment Snapshot'),
      }));
    if (!dest) return undefined;
    const { toSnapshot } = await import('../core/probe/envcheck');
    const { ProbeOutcomeSchema } = await import('../core/probe/schema');
    const raw = ProbeOutcomeSchema.parse(res.probe);
    const snap = toSnapshot([{ ...res.report, raw } as Parameters<typeof toSnapshot>[0][number]], { tool: d.toolName });
    await vscode.workspace.fs.writeFile(dest, Buffer.from(JSON.stringify(snap, null, 2) + '\n', 'utf8'));
    void notifier.info(l10n.t('Environment snapshot saved to {0}', dest.fsPath));
    return dest;
  });

  commands.register('ascend.env.copyFix', [checkRef], async (c) => {
    if (!c.fix) throw new Error(l10n.t('The check "{0}" has no fix command.', c.title));
    await vscode.env.clipboard.writeText(c.fix);
    void notifier.info(l10n.t('Fix copied: {0}', c.fix.split('\n')[0]));
    return c.fix;
  });

  commands.register('ascend.env.openSource', [checkRef], async (c) => {
    const src = c.source;
    if (!src) throw new Error(l10n.t('The check "{0}" names no source.', c.title));
    if (/^https?:\/\//.test(src)) {
      await vscode.env.openExternal(vscode.Uri.parse(src));
    } else {
      await vscode.env.clipboard.writeText(src);
      void notifier.info(l10n.t('Source copied: {0}', src));
    }
    return src;
  });

  commands.register('ascend.env.clear', [], async () => {
    await envResults.clear();
  });

  return sub;
}

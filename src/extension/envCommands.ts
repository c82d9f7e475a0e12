import * as vscode from 'vscode';
import type { EnvReport } from '../core/checks/report';
import { registerCommand } from './commands';
import type { Ctx } from './ctx';
import type { HostResult } from './envResults';
import { hostIdOf, resolveHost } from './hostCommands';
import type { HostTarget } from './hosts';
import { CheckNode, HostResultNode, summaryText } from './views/environment';

/**
 * Environment check: the core's runEnvCheck (one probe round trip, then pure analysis) against the chosen
 * host; the Environment view shows the result, the Hosts view the NPUs. The view keeps each host's last
 * result with its time, also after the host disconnects.
 */

async function check(ctx: Ctx, host: HostTarget): Promise<HostResult> {
  const { runEnvCheck } = await import('../core/probe/envcheck');
  return vscode.window.withProgress(
    { location: { viewId: 'ascend.environment' }, title: vscode.l10n.t('Checking the environment of {0}…', host.name) },
    async () => {
      const t0 = Date.now();
      const transport = await ctx.hosts.transport(host.id);
      try {
        const r = await runEnvCheck(transport, { host: host.name, python: ctx.config.settings.pythonPath });
        const { raw, ...report } = r;
        // A simulated host is marked simulated even if its probe could not say so (e.g. it failed early).
        const rep: EnvReport = host.simulated ? { ...report, simulated: true } : report;
        ctx.log.info(`env check ${host.name}: ${summaryText(rep)} in ${Date.now() - t0} ms${raw.ok ? '' : ` (probe failed: ${raw.message})`}`);
        return ctx.envResults.set(host.id, host.name, rep, raw);
      } finally {
        // Local transports hold nothing; ssh transports belong to the pool and stay connected.
        if (transport.kind === 'local') await transport.close();
      }
    },
  );
}

export function registerEnvironment(ctx: Ctx): void {
  const tree = ctx.views.trees['ascend.environment'];
  const view = ctx.views.views['ascend.environment'];
  tree.setRoots(() => ctx.envResults.all().map((r) => new HostResultNode(r)));
  ctx.own(ctx.envResults.onDidChange(() => tree.refresh()));
  const updateMessage = () => {
    const sim = ctx.envResults.all().some((r) => r.report.simulated);
    view.message = sim ? vscode.l10n.t('Results marked SIMULATED come from a simulated Atlas host, not from NPUs.') : undefined;
  };
  ctx.own(ctx.envResults.onDidChange(updateMessage));
  updateMessage();

  registerCommand(ctx, 'ascend.env.check', async (arg?: unknown) => {
    const host = await resolveHost(ctx, arg, vscode.l10n.t('Run the environment check on which host?'));
    if (!host) return undefined;
    const res = await check(ctx, host);
    const s = res.report.summary;
    const text = vscode.l10n.t('Environment check of {0}: {1}', host.name + (res.report.simulated ? ` [${vscode.l10n.t('SIMULATED')}]` : ''), summaryText(res.report));
    if (s.fail > 0) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
    return res;
  });

  registerCommand(ctx, 'ascend.env.rerun', async (arg?: unknown) => {
    const id = hostIdOf(arg instanceof HostResultNode ? arg.result.hostId : arg);
    const ids = id ? [id] : ctx.envResults.all().map((r) => r.hostId);
    if (ids.length === 0) return vscode.commands.executeCommand('ascend.env.check');
    const out: HostResult[] = [];
    for (const hid of ids) {
      const host = await ctx.hosts.get(hid);
      if (host) out.push(await check(ctx, host));
      else ctx.log.warn(`re-run: host ${hid} is no longer configured; its last result stays`);
    }
    return out;
  });

  registerCommand(ctx, 'ascend.env.saveSnapshot', async (arg?: unknown) => {
    let res: HostResult | undefined = arg instanceof HostResultNode ? arg.result : undefined;
    const withRaw = ctx.envResults.all().filter((r) => r.probe !== undefined);
    if (!res) {
      if (withRaw.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Run an environment check first: a snapshot holds the raw probe output of this session.'));
        return undefined;
      }
      res = withRaw.length === 1
        ? withRaw[0]
        : (await vscode.window.showQuickPick(withRaw.map((r) => ({ label: r.hostName, description: r.at, r })), { placeHolder: vscode.l10n.t('Save the snapshot of which host?') }))?.r;
    }
    if (!res) return undefined;
    if (res.probe === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The raw probe output of {0} is from an earlier session; re-run the check to save a snapshot.', res.hostName));
      return undefined;
    }
    const target = arg && typeof arg === 'object' && 'uri' in arg && (arg as { uri: unknown }).uri instanceof vscode.Uri
      ? (arg as { uri: vscode.Uri }).uri
      : await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? ctx.extension.globalStorageUri, `env-snapshot-${res.hostName.replace(/[^\w.-]+/g, '_')}.json`),
          filters: { JSON: ['json'] },
          title: vscode.l10n.t('Save Environment Snapshot'),
        });
    if (!target) return undefined;
    const { toSnapshot } = await import('../core/probe/envcheck');
    const { ProbeOutcomeSchema } = await import('../core/probe/schema');
    const raw = ProbeOutcomeSchema.parse(res.probe);
    const snap = toSnapshot([{ ...res.report, raw } as Parameters<typeof toSnapshot>[0][number]], { tool: `ascend-adapt ${ctx.extension.extension.packageJSON.version as string} (VS Code)` });
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(snap, null, 2) + '\n', 'utf8'));
    void vscode.window.showInformationMessage(vscode.l10n.t('Environment snapshot saved to {0}', target.fsPath));
    return target;
  });

  registerCommand(ctx, 'ascend.env.copyFix', async (arg?: unknown) => {
    if (!(arg instanceof CheckNode) || !arg.check.fix) return undefined;
    await vscode.env.clipboard.writeText(arg.check.fix);
    void vscode.window.showInformationMessage(vscode.l10n.t('Fix copied: {0}', arg.check.fix.split('\n')[0]));
    return arg.check.fix;
  });

  registerCommand(ctx, 'ascend.env.openSource', async (arg?: unknown) => {
    if (!(arg instanceof CheckNode) || !arg.check.source) return undefined;
    const src = arg.check.source;
    if (/^https?:\/\//.test(src)) {
      await vscode.env.openExternal(vscode.Uri.parse(src));
    } else {
      await vscode.env.clipboard.writeText(src);
      void vscode.window.showInformationMessage(vscode.l10n.t('Source copied: {0}', src));
    }
    return src;
  });

  registerCommand(ctx, 'ascend.env.clear', async () => {
    await ctx.envResults.clear();
  });
}

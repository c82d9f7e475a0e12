import * as vscode from 'vscode';
import { z } from 'zod';
import { LocalTransport } from '../core/transport/local';
import { settingsSchema } from './config';
import { registerCommand } from './commands';
import type { Ctx } from './ctx';
import { LOCAL_ID, SIM_ID, type HostTarget } from './hosts';
import { HostNode, stateIcon, stateWord } from './views/hosts';

/** Host commands, the Hosts view and the status-bar item showing the active host and its state. */

/** A command argument naming a host: a Hosts-view row, a host id, or nothing (then the user picks). */
export function hostIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof HostNode) return arg.host.id;
  if (arg && typeof arg === 'object' && 'hostId' in arg && typeof (arg as { hostId: unknown }).hostId === 'string') return (arg as { hostId: string }).hostId;
  return undefined;
}

export async function pickHost(ctx: Ctx, placeHolder: string, filter: (h: HostTarget) => boolean = () => true): Promise<HostTarget | undefined> {
  const list = (await ctx.hosts.list()).filter(filter);
  if (list.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No hosts to choose from. Add a Host to ~/.ssh/config, add one in the Hosts view, or create a simulated Atlas host.'));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    list.map((h) => ({
      label: h.name,
      description: [h.simulated ? vscode.l10n.t('SIMULATED') : '', h.address ?? ''].filter(Boolean).join(' · '),
      detail: h.kind === 'ssh' ? stateWord(ctx.hosts.state(h.id)) : undefined,
      host: h,
    })),
    { placeHolder, matchOnDescription: true },
  );
  return pick?.host;
}

/** The host a command acts on: the argument, else the active host, else the user's pick. */
export async function resolveHost(ctx: Ctx, arg: unknown, placeHolder: string): Promise<HostTarget | undefined> {
  const id = hostIdOf(arg) ?? ctx.hosts.activeId;
  if (id) {
    const h = await ctx.hosts.get(id);
    if (h) return h;
  }
  return pickHost(ctx, placeHolder);
}

export function registerHosts(ctx: Ctx): void {
  const hosts = ctx.hosts;
  const tree = ctx.views.trees['ascend.hosts'];
  tree.setRoots(async () => (await hosts.list()).map((h) => new HostNode(h, hosts, ctx.envResults)));
  ctx.own(hosts.onDidChange(() => tree.refresh()));
  ctx.own(ctx.envResults.onDidChange(() => tree.refresh()));

  // Status bar: the active host and its connection state.
  const item = ctx.own(vscode.window.createStatusBarItem('ascend.activeHost', vscode.StatusBarAlignment.Left, 10));
  item.name = vscode.l10n.t('Ascend: active host');
  item.command = 'ascend.hosts.select';
  ctx.statusBar = item;
  // No host list is read here (that would load ~/.ssh/config): the id says what the host is.
  const update = () => {
    const id = hosts.activeId ?? (hosts.simDir ? SIM_ID : undefined);
    if (!id) {
      item.text = `$(vm-outline) ${vscode.l10n.t('Ascend: no host')}`;
      item.tooltip = vscode.l10n.t('Select the Atlas host to work on');
      item.backgroundColor = undefined;
    } else {
      const kind = id === SIM_ID ? 'sim' : id === LOCAL_ID ? 'local' : 'ssh';
      const name = kind === 'sim' ? vscode.l10n.t('Simulated Atlas host') : kind === 'local' ? vscode.l10n.t('This machine') : id.replace(/^ssh:/, '');
      const st = hosts.state(id);
      const icon = kind === 'sim' ? '$(beaker)' : kind === 'local' ? '$(device-desktop)' : `$(${stateIcon(st).id})`;
      const tail = kind === 'ssh' && st !== 'connected' ? ` (${stateWord(st)})` : '';
      item.text = `${icon} ${name}${kind === 'sim' ? ` [${vscode.l10n.t('SIMULATED')}]` : ''}${tail}`;
      item.tooltip = vscode.l10n.t('Ascend active host: {0} — {1}. Click to switch.', name, kind === 'ssh' ? stateWord(st) : vscode.l10n.t('local'));
      item.backgroundColor = kind === 'ssh' && (st === 'failed' || st === 'reconnecting') ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    item.show();
  };
  ctx.own(hosts.onDidChange(() => update()));
  update();

  registerCommand(ctx, 'ascend.hosts.refresh', () => tree.refresh());

  registerCommand(ctx, 'ascend.hosts.select', async (arg?: unknown) => {
    const id = hostIdOf(arg) ?? (await pickHost(ctx, vscode.l10n.t('Select the active Atlas host')))?.id;
    if (!id) return undefined;
    await hosts.setActive(id);
    return id;
  });

  registerCommand(ctx, 'ascend.hosts.connect', async (arg?: unknown) => {
    const id = hostIdOf(arg) ?? (await pickHost(ctx, vscode.l10n.t('Connect to which host?'), (h) => h.kind === 'ssh'))?.id;
    if (!id) return undefined;
    await vscode.window.withProgress(
      { location: { viewId: 'ascend.hosts' }, title: vscode.l10n.t('Connecting to {0}…', id) },
      async () => {
        await hosts.transport(id);
      },
    );
    if (!hosts.activeId || hosts.activeId === LOCAL_ID) await hosts.setActive(id);
    tree.refresh();
    return hosts.state(id);
  });

  registerCommand(ctx, 'ascend.hosts.disconnect', async (arg?: unknown) => {
    const id = hostIdOf(arg) ?? (await pickHost(ctx, vscode.l10n.t('Disconnect which host?'), (h) => h.kind === 'ssh' && hosts.state(h.id) !== 'disconnected'))?.id;
    if (!id) return undefined;
    await hosts.disconnect(id);
    tree.refresh();
    return hosts.state(id);
  });

  registerCommand(ctx, 'ascend.hosts.add', async () => {
    const alias = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Atlas Host (1/3)'),
      prompt: vscode.l10n.t('A short name for the host (used like a Host alias in ~/.ssh/config)'),
      validateInput: (v) => (/^[A-Za-z0-9._-]+$/.test(v) ? undefined : vscode.l10n.t('Letters, digits, ".", "_" and "-" only')),
    });
    if (!alias) return undefined;
    const address = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Atlas Host (2/3)'),
      prompt: vscode.l10n.t('user@hostname[:port]'),
      validateInput: (v) => (/^(?:[^\s@"#]+@)?[^\s@:"#]+(?::\d{1,5})?$/.test(v) ? undefined : vscode.l10n.t('Expected user@hostname or user@hostname:port')),
    });
    if (!address) return undefined;
    const jump = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Atlas Host (3/3)'),
      prompt: vscode.l10n.t('Jump host (ProxyJump), or leave empty'),
    });
    if (jump === undefined) return undefined;
    const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(address);
    if (!m) return undefined;
    const entry = { alias, hostname: m[2], user: m[1], port: m[3] ? Number(m[3]) : undefined, proxyJump: jump.trim() || undefined };
    const list = settingsSchema.shape.hosts.parse([...ctx.config.settings.hosts.filter((h) => h.alias !== alias), entry]);
    await vscode.workspace.getConfiguration('ascendAdapt').update('hosts', list.map((h) => JSON.parse(JSON.stringify(h)) as unknown), vscode.ConfigurationTarget.Global);
    tree.refresh();
    return `ssh:${alias}`;
  });

  registerCommand(ctx, 'ascend.hosts.forgetSecrets', async () => {
    const n = await hosts.forgetSecrets();
    void vscode.window.showInformationMessage(vscode.l10n.t('Forgot {0} saved passwords and passphrases.', n));
    return n;
  });

  registerCommand(ctx, 'ascend.sim.create', async (arg?: unknown) => {
    const opts = (arg && typeof arg === 'object' ? arg : {}) as { dir?: string; chip?: string; devices?: number };
    const dir = typeof opts.dir === 'string' ? opts.dir : hosts.defaultSimDir();
    // The core's sim create writes many files synchronously: run it through the CLI in a child process so
    // the extension host never blocks.
    const created = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Creating a simulated Atlas host…') },
      async () => {
        const argv = [process.execPath, ctx.extension.asAbsolutePath('dist/cli.js'), 'sim', 'create', dir, '--force', '--json'];
        if (opts.chip) argv.push('--chip', opts.chip);
        if (opts.devices) argv.push('--devices', String(opts.devices));
        const r = await new LocalTransport().exec(argv, { env: { ELECTRON_RUN_AS_NODE: '1' }, timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(r.stderr.toString('utf8').trim() || `sim create: exit ${r.code}`);
        return z.object({ simulated: z.literal(true), root: z.string() }).parse(JSON.parse(r.stdout.toString('utf8')));
      },
    );
    await hosts.setSimDir(created.root);
    await hosts.setActive(SIM_ID);
    ctx.log.info(`simulated Atlas host created in ${created.root}`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Simulated Atlas host created in {0}. Everything it reports is marked SIMULATED.', created.root),
    );
    return SIM_ID;
  });
}

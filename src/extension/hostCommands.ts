import * as l10n from '@vscode/l10n';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { LocalTransport } from '../core/transport/local';
import { hostRef, simCreateOptions } from './args';
import type { Commands } from './commands';
import { settingsSchema, type Config } from './config';
import type { EnvResults } from './envResults';
import { pickHost } from './hostPick';
import { LOCAL_ID, SIM_ID, type Hosts } from './hosts';
import type { Notifier } from './notify';
import type { Views } from './views';
import { hostActions, HostNode, stateIcon, stateWord } from './views/hosts';

/** Host commands, the Hosts view and the status-bar item showing the active host and its state. */

/** The status-bar item: the active host and its connection state; clicking switches host. */
export class HostStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly sub: vscode.Disposable;

  constructor(private readonly hosts: Hosts) {
    this.item = vscode.window.createStatusBarItem('ascend.activeHost', vscode.StatusBarAlignment.Left, 10);
    this.item.name = l10n.t('Ascend: active host');
    this.item.command = 'ascend.hosts.select';
    this.sub = hosts.onDidChange(() => this.update());
    this.update();
  }

  /** No host list is read here (that would load ~/.ssh/config): the id says what the host is. */
  private update(): void {
    const { hosts, item } = this;
    const id = hosts.activeId ?? (hosts.simDir ? SIM_ID : undefined);
    if (!id) {
      item.text = `$(vm-outline) ${l10n.t('Ascend: no host')}`;
      item.tooltip = l10n.t('Select the Atlas host to work on');
      item.backgroundColor = undefined;
    } else {
      const kind = id === SIM_ID ? 'sim' : id === LOCAL_ID ? 'local' : 'ssh';
      const name = kind === 'sim' ? l10n.t('Simulated Atlas host') : kind === 'local' ? l10n.t('This machine') : id.replace(/^ssh:/, '');
      const st = hosts.state(id);
      const icon = kind === 'sim' ? '$(beaker)' : kind === 'local' ? '$(device-desktop)' : `$(${stateIcon(st).id})`;
      const tail = kind === 'ssh' && st !== 'connected' ? ` (${stateWord(st)})` : '';
      item.text = `${icon} ${name}${kind === 'sim' ? ` [${l10n.t('SIMULATED')}]` : ''}${tail}`;
      item.tooltip = l10n.t('Ascend active host: {0} — {1}. Click to switch.', name, kind === 'ssh' ? stateWord(st) : l10n.t('local'));
      item.backgroundColor = kind === 'ssh' && (st === 'failed' || st === 'reconnecting') ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    }
    item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}

export interface HostFeature {
  hosts: Hosts;
  envResults: EnvResults;
  config: Config;
  views: Views;
  notifier: Notifier;
  log: vscode.LogOutputChannel;
  /** dist/cli.js of this extension (sim create runs in a child process). */
  cliPath: string;
}

export function registerHostCommands(commands: Commands, d: HostFeature): vscode.Disposable {
  const { hosts, views } = d;
  const tree = views.trees['ascend.hosts'];
  tree.setRoots(async () => {
    const list = await hosts.list();
    // With no host at all the welcome text shows; otherwise the ways in stay reachable as rows.
    return list.length ? [...list.map((h) => new HostNode(h, hosts, d.envResults)), ...hostActions(list)] : [];
  });
  const subs = [hosts.onDidChange(() => tree.refresh()), d.envResults.onDidChange(() => tree.refresh())];

  commands.register('ascend.hosts.refresh', [], () => tree.refresh());

  commands.register('ascend.hosts.select', [hostRef.optional()], async (given) => {
    const id = given ?? (await pickHost(hosts, l10n.t('Select the active Atlas host')))?.id;
    if (!id) return undefined;
    await hosts.setActive(id);
    return id;
  });

  commands.register('ascend.hosts.connect', [hostRef.optional()], async (given) => {
    const id = given ?? (await pickHost(hosts, l10n.t('Connect to which host?'), (h) => h.kind === 'ssh'))?.id;
    if (!id) return undefined;
    await vscode.window.withProgress({ location: { viewId: 'ascend.hosts' }, title: l10n.t('Connecting to {0}…', id) }, async () => {
      await hosts.transport(id);
    });
    if (!hosts.activeId || hosts.activeId === LOCAL_ID) await hosts.setActive(id);
    tree.refresh();
    return hosts.state(id);
  });

  commands.register('ascend.hosts.disconnect', [hostRef.optional()], async (given) => {
    const id = given ?? (await pickHost(hosts, l10n.t('Disconnect which host?'), (h) => h.kind === 'ssh' && hosts.state(h.id) !== 'disconnected'))?.id;
    if (!id) return undefined;
    await hosts.disconnect(id);
    tree.refresh();
    return hosts.state(id);
  });

  commands.register('ascend.hosts.add', [], async () => {
    const alias = await vscode.window.showInputBox({
      title: l10n.t('Add Atlas Host (1/3)'),
      prompt: l10n.t('A short name for the host (used like a Host alias in ~/.ssh/config)'),
      validateInput: (v) => (/^[A-Za-z0-9._-]+$/.test(v) ? undefined : l10n.t('Letters, digits, ".", "_" and "-" only')),
    });
    if (!alias) return undefined;
    const address = await vscode.window.showInputBox({
      title: l10n.t('Add Atlas Host (2/3)'),
      prompt: l10n.t('user@hostname[:port]'),
      validateInput: (v) => (/^(?:[^\s@"#]+@)?[^\s@:"#]+(?::\d{1,5})?$/.test(v) ? undefined : l10n.t('Expected user@hostname or user@hostname:port')),
    });
    if (!address) return undefined;
    const jump = await vscode.window.showInputBox({ title: l10n.t('Add Atlas Host (3/3)'), prompt: l10n.t('Jump host (ProxyJump), or leave empty') });
    if (jump === undefined) return undefined;
    const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(address);
    if (!m) return undefined;
    const entry = { alias, hostname: m[2], user: m[1], port: m[3] ? Number(m[3]) : undefined, proxyJump: jump.trim() || undefined };
    const list = settingsSchema.shape.hosts.parse([...d.config.settings.hosts.filter((h) => h.alias !== alias), entry]);
    await vscode.workspace.getConfiguration('ascendAdapt').update('hosts', list.map((h) => JSON.parse(JSON.stringify(h)) as unknown), vscode.ConfigurationTarget.Global);
    tree.refresh();
    return `ssh:${alias}`;
  });

  commands.register('ascend.hosts.forgetSecrets', [], async () => {
    const n = await hosts.forgetSecrets();
    void d.notifier.info(l10n.t('Forgot {0} saved passwords and passphrases.', n));
    return n;
  });

  commands.register('ascend.sim.create', [simCreateOptions.optional()], async (opts) => {
    const dir = opts?.dir ?? hosts.defaultSimDir();
    // Over an existing one: ask. `sim create --force` then replaces only the files it made.
    const exists = await vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, 'sim.json'))).then(() => true, () => false);
    if (exists && !(await hosts.simPrompts.confirmRecreate(dir))) return undefined;
    // The core's sim create writes many files synchronously: run it through the CLI in a child process so
    // the extension host never blocks.
    const created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: l10n.t('Creating a simulated Atlas host…') }, async () => {
      const argv = [process.execPath, d.cliPath, 'sim', 'create', dir, '--force', '--json'];
      if (opts?.chip) argv.push('--chip', opts.chip);
      if (opts?.devices) argv.push('--devices', String(opts.devices));
      const r = await new LocalTransport().exec(argv, { env: { ELECTRON_RUN_AS_NODE: '1' }, timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(r.stderr.toString('utf8').trim() || `sim create: exit ${r.code}`);
      return z.object({ simulated: z.literal(true), root: z.string() }).parse(JSON.parse(r.stdout.toString('utf8')));
    });
    await hosts.setSimDir(created.root);
    await hosts.setActive(SIM_ID);
    d.log.info(`simulated Atlas host created in ${created.root}`);
    void d.notifier.info(l10n.t('Simulated Atlas host created in {0}. Everything it reports is marked SIMULATED.', created.root));
    return SIM_ID;
  });

  return vscode.Disposable.from(...subs);
}

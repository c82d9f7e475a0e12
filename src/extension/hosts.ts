import * as l10n from '@vscode/l10n';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostManager, HostStateEvent } from '../core/hosts/manager';
import type { SshCallbacks, UnknownHostKeyInfo } from '../core/transport/ssh';
import { LocalTransport } from '../core/transport/local';
import type { ConnectionState, Transport } from '../core/transport/transport';
import type { Config } from './config';

/**
 * The hosts the extension can reach, one list for every view and command:
 *  - `local`: the machine the extension host runs on (the Atlas host itself when VS Code is opened on it
 *    through Remote-SSH);
 *  - `sim`: the simulated Atlas host (local processes with the simulated toolchain's environment) — always
 *    labelled simulated;
 *  - `ssh:<alias>`: hosts from ~/.ssh/config and the `ascendAdapt.hosts` setting, through the core's
 *    HostManager (one connection per host, reconnect, known_hosts).
 * The HostManager (and ssh2 with it) is created on first use, never at activation.
 */
export type HostKind = 'local' | 'sim' | 'ssh';

export interface HostTarget {
  id: string;
  kind: HostKind;
  /** What a person calls it (alias, "simulated Atlas host" …). */
  name: string;
  simulated: boolean;
  /** user@host:port for ssh hosts. */
  address?: string;
  /** Where the ssh Host entry is (file:line). */
  source?: string;
}

export const LOCAL_ID = 'local';
export const SIM_ID = 'sim';
const SIM_DIR_KEY = 'ascend.simulatedHostDir';
const ACTIVE_KEY = 'ascend.activeHost';
const SECRET_NAMES_KEY = 'ascend.secretNames';

/** What the UI asks a person; tests inside VS Code replace these to answer without clicking. */
export interface HostPrompts {
  confirmHostKey(info: UnknownHostKeyInfo): Promise<boolean>;
  askSecret(title: string, prompt: string): Promise<string | undefined>;
  offerToRemember(what: string): Promise<boolean>;
}

/** Asked before a simulated host is created again over an existing one. */
export interface SimPrompts {
  confirmRecreate(dir: string): Promise<boolean>;
}

export const defaultSimPrompts: SimPrompts = {
  async confirmRecreate(dir) {
    const again = l10n.t('Create Again');
    const pick = await vscode.window.showWarningMessage(
      l10n.t('A simulated Atlas host already exists in {0}. Create it again?', dir),
      { modal: true, detail: l10n.t('The files it made are written again and its simulated processes end. Files you put in the folder yourself (models, notes) are kept.') },
      again,
    );
    return pick === again;
  },
};

export function hostKeyMessage(info: UnknownHostKeyInfo): { message: string; detail: string } {
  const where = info.port === 22 ? info.host : `[${info.host}]:${info.port}`;
  return {
    message: l10n.t("The authenticity of host '{0}' ({1}) can't be established.", info.alias, where),
    detail: l10n.t(
      '{0} key fingerprint is {1}.\nIf you trust this host, its key is added to {2} and checked on every later connection.',
      info.keyType,
      info.fingerprint,
      info.knownHostsFile,
    ),
  };
}

export const defaultPrompts: HostPrompts = {
  async confirmHostKey(info) {
    const { message, detail } = hostKeyMessage(info);
    const trust = l10n.t('Trust Host and Connect');
    const pick = await vscode.window.showWarningMessage(message, { modal: true, detail }, trust);
    return pick === trust;
  },
  askSecret(title, prompt) {
    return Promise.resolve(vscode.window.showInputBox({ title, prompt, password: true, ignoreFocusOut: true }));
  },
  async offerToRemember(what) {
    const yes = l10n.t('Remember');
    const pick = await vscode.window.showInformationMessage(l10n.t('Keep the {0} in VS Code secret storage?', what), yes, l10n.t('Not Now'));
    return pick === yes;
  },
};

async function onPath(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (await fs.promises.access(path.join(dir, cmd), fs.constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** What Hosts keeps between sessions: the active host and the simulated host's folder, secrets. */
export type HostsStorage = Pick<vscode.ExtensionContext, 'globalState' | 'workspaceState' | 'secrets' | 'globalStorageUri'>;

export class Hosts implements vscode.Disposable {
  private manager?: HostManager;
  private managerLoad?: Promise<HostManager>;
  private readonly emitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with a host id when its state changes, undefined when the list changed. */
  readonly onDidChange = this.emitter.event;
  prompts: HostPrompts = defaultPrompts;
  simPrompts: SimPrompts = defaultSimPrompts;
  private listError?: string;
  private readonly configSub: vscode.Disposable;

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
    private readonly storage: HostsStorage,
  ) {
    let sshFiles = this.sshFilesKey();
    this.configSub = config.onDidChange((s) => {
      const key = this.sshFilesKey();
      if (key !== sshFiles) {
        // Another ssh_config / known_hosts: a new pool (the old connections are closed).
        sshFiles = key;
        const old = this.manager;
        this.manager = undefined;
        this.managerLoad = undefined;
        if (old) void old.dispose();
      } else if (this.manager) {
        this.manager.setExtraHosts(s.hosts);
      }
      this.emitter.fire(undefined);
    });
  }

  private sshFilesKey(): string {
    const s = this.config.settings;
    return `${s['ssh.configFile']}\n${s['ssh.knownHostsFile']}`;
  }

  /** Folder of the simulated host, when one was created. */
  get simDir(): string | undefined {
    return this.storage.globalState.get<string>(SIM_DIR_KEY);
  }

  async setSimDir(dir: string | undefined): Promise<void> {
    await this.storage.globalState.update(SIM_DIR_KEY, dir);
    this.emitter.fire(undefined);
  }

  defaultSimDir(): string {
    const s = this.config.settings.simulatedHostDir;
    return s ? expandHome(s) : path.join(this.storage.globalStorageUri.fsPath, 'simulated-atlas-host');
  }

  get activeId(): string | undefined {
    return this.storage.workspaceState.get<string>(ACTIVE_KEY);
  }

  async setActive(id: string): Promise<void> {
    await this.storage.workspaceState.update(ACTIVE_KEY, id);
    this.emitter.fire(id);
  }

  /** The SSH host pool, created on first use (reads ~/.ssh/config then). */
  async sshManager(): Promise<HostManager> {
    if (this.manager) return this.manager;
    this.managerLoad ??= (async () => {
      const { HostManager } = await import('../core/hosts/manager');
      const s = this.config.settings;
      const m = new HostManager({
        sshConfigPath: s['ssh.configFile'] ? expandHome(s['ssh.configFile']) : undefined,
        knownHostsFile: s['ssh.knownHostsFile'] ? expandHome(s['ssh.knownHostsFile']) : undefined,
        extraHosts: s.hosts,
        callbacks: this.callbacks(),
      });
      m.on('state', (e: HostStateEvent) => {
        this.log.info(`host ${e.alias}: ${e.state}${e.error ? ` (${e.error.message})` : ''}${e.retryInMs ? `, retry in ${e.retryInMs} ms` : ''}`);
        this.emitter.fire(`ssh:${e.alias}`);
      });
      this.manager = m;
      return m;
    })();
    return this.managerLoad;
  }

  /** Every host, in the order the Hosts view shows them. Never throws: a broken ssh_config is logged. */
  async list(): Promise<HostTarget[]> {
    const out: HostTarget[] = [];
    const sim = this.simDir;
    if (sim && (await fs.promises.access(path.join(sim, 'env.json')).then(() => true, () => false))) {
      out.push({ id: SIM_ID, kind: 'sim', name: l10n.t('Simulated Atlas host'), simulated: true, address: sim });
    }
    // This machine is an Atlas host candidate when VS Code runs the extension remotely on it (Remote-SSH)
    // or when it has npu-smi; a laptop without NPUs does not list itself.
    if (vscode.env.remoteName !== undefined || (await onPath('npu-smi'))) {
      out.push({ id: LOCAL_ID, kind: 'local', name: l10n.t('This machine'), simulated: false, address: os.hostname() });
    }
    try {
      const m = await this.sshManager();
      m.reload();
      this.listError = undefined;
      for (const h of m.hosts()) {
        out.push({ id: `ssh:${h.alias}`, kind: 'ssh', name: h.alias, simulated: false, address: `${h.user}@${h.hostname}:${h.port}`, source: h.source });
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (msg !== this.listError) this.log.warn(`ssh hosts: ${msg}`);
      this.listError = msg;
    }
    return out;
  }

  /** Why the ssh host list could not be read, if it could not. */
  get sshListError(): string | undefined {
    return this.listError;
  }

  async get(id: string): Promise<HostTarget | undefined> {
    return (await this.list()).find((h) => h.id === id);
  }

  state(id: string): ConnectionState {
    if (id.startsWith('ssh:')) return this.manager?.state(id.slice(4)) ?? 'disconnected';
    return 'connected';
  }

  lastError(id: string): string | undefined {
    if (!id.startsWith('ssh:') || !this.manager) return undefined;
    try {
      const t = this.manager.transport(id.slice(4));
      return t.state === 'failed' || t.state === 'reconnecting' ? t.error?.message : undefined;
    } catch {
      return undefined;
    }
  }

  /** A transport to the host, connecting when needed. */
  async transport(id: string): Promise<Transport> {
    if (id === LOCAL_ID) return new LocalTransport(os.hostname());
    if (id === SIM_ID) {
      const dir = this.simDir;
      if (!dir) throw new Error(l10n.t('No simulated Atlas host yet: run "Ascend: Create Simulated Atlas Host" first.'));
      const { simExecEnv } = await import('../core/sim/env');
      return new LocalTransport(l10n.t('simulated Atlas host'), simExecEnv(dir, process.env));
    }
    if (id.startsWith('ssh:')) {
      const m = await this.sshManager();
      return m.connect(id.slice(4));
    }
    throw new Error(l10n.t('Unknown host {0}', id));
  }

  /**
   * A connection of its own to a node of a multi-node job (the caller closes it): the same host keys and
   * prompts, a 1 s keepalive (as the CLI's), so a node whose link drops is noticed within seconds.
   */
  async nodeTransport(id: string): Promise<Transport> {
    if (!id.startsWith('ssh:')) return this.transport(id);
    const t = (await this.sshManager()).dedicated(id.slice(4), { keepaliveIntervalMs: 1000, keepaliveCountMax: 3 });
    await t.connect();
    return t;
  }

  async disconnect(id: string): Promise<void> {
    if (id.startsWith('ssh:') && this.manager) {
      await this.manager.disconnect(id.slice(4));
      this.emitter.fire(id);
    }
  }

  private secretKey(kind: 'passphrase' | 'password', who: string): string {
    return `ascend-adapt.${kind}:${who}`;
  }

  /** SSH callbacks: host key prompt, secrets from SecretStorage first, then asked; kept only on request. */
  private callbacks(): SshCallbacks {
    const secrets = this.storage.secrets;
    // Secrets typed this session, waiting for onSecretResult to say whether they worked.
    const typed = new Map<string, string>();
    return {
      onUnknownHostKey: async (info) => {
        this.log.info(`unknown host key for ${info.alias} (${info.host}:${info.port}): ${info.keyType} ${info.fingerprint}`);
        const ok = await this.prompts.confirmHostKey(info);
        this.log.info(`host key for ${info.alias} ${ok ? 'trusted by the user' : 'refused by the user'}`);
        return ok;
      },
      onHostKeyAdded: (info) => {
        this.log.info(`Permanently added '${info.hostField}' (${info.keyType}) to ${info.knownHostsFile}:${info.line}`);
      },
      askPassphrase: async ({ keyPath, host, attempt }) => {
        const key = this.secretKey('passphrase', keyPath);
        if (attempt === 1) {
          const stored = await secrets.get(key);
          if (stored !== undefined) return stored;
        }
        const v = await this.prompts.askSecret(l10n.t('Passphrase for {0}', keyPath), l10n.t('Key passphrase for {0} (connecting to {1})', keyPath, host));
        if (v !== undefined) typed.set(key, v);
        return v;
      },
      askPassword: async ({ user, host, attempt, prompt }) => {
        const key = this.secretKey('password', `${user}@${host}`);
        if (attempt === 1) {
          const stored = await secrets.get(key);
          if (stored !== undefined) return stored;
        }
        const v = await this.prompts.askSecret(l10n.t('Password for {0}@{1}', user, host), prompt ?? l10n.t('Password for {0}@{1}', user, host));
        if (v !== undefined) typed.set(key, v);
        return v;
      },
      askKeyboardInteractive: async ({ host, prompts }) => {
        const answers: string[] = [];
        for (const p of prompts) {
          const v = await this.prompts.askSecret(host, p.prompt);
          if (v === undefined) return undefined;
          answers.push(v);
        }
        return answers;
      },
      onSecretResult: ({ kind, host, user, keyPath, accepted }) => {
        const key = this.secretKey(kind, kind === 'passphrase' ? (keyPath ?? '') : `${user}@${host}`);
        const value = typed.get(key);
        typed.delete(key);
        if (!accepted) {
          // A stored secret that no longer works is forgotten, so the next attempt asks.
          void secrets.delete(key);
          return;
        }
        if (value === undefined) return; // it came from SecretStorage already
        const what = kind === 'passphrase' ? l10n.t('passphrase for {0}', keyPath ?? '') : l10n.t('password for {0}@{1}', user, host);
        void this.prompts.offerToRemember(what).then(async (yes) => {
          if (!yes) return;
          await this.remember(key, value);
          this.log.info(`${kind} for ${kind === 'passphrase' ? keyPath : `${user}@${host}`} kept in SecretStorage`);
        });
      },
    };
  }

  /** Names (never values) of the secrets kept in SecretStorage, so they can be forgotten together. */
  private async remember(key: string, value: string): Promise<void> {
    await this.storage.secrets.store(key, value);
    const names = new Set(this.storage.globalState.get<string[]>(SECRET_NAMES_KEY) ?? []);
    names.add(key);
    await this.storage.globalState.update(SECRET_NAMES_KEY, [...names]);
  }

  /** Forgets every passphrase and password this extension kept in SecretStorage; returns how many. */
  async forgetSecrets(): Promise<number> {
    const names = this.storage.globalState.get<string[]>(SECRET_NAMES_KEY) ?? [];
    for (const k of names) await this.storage.secrets.delete(k);
    await this.storage.globalState.update(SECRET_NAMES_KEY, []);
    return names.length;
  }

  dispose(): void {
    this.configSub.dispose();
    void this.manager?.dispose();
    this.manager = undefined;
    this.emitter.dispose();
  }
}

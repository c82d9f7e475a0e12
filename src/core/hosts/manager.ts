/**
 * HostManager: the pool of SSH hosts (one SshTransport per alias, many channels over it) with a plain
 * EventEmitter API, for the extension (Hosts view, status bar, SecretStorage) and the CLI. No vscode.
 *
 *   const hm = new HostManager({ sshConfigPath?, knownHostsFile?, acceptNew?, extraHosts?, callbacks, reconnect? });
 *   hm.hosts()                 → HostEntry[]  (ssh_config aliases + hosts added in settings; never secrets)
 *   hm.state(alias)            → 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed'
 *   await hm.connect(alias)    → SshTransport (connected; the same object for every caller)
 *   hm.transport(alias)        → SshTransport (not necessarily connected; exec() connects on demand)
 *   await hm.disconnect(alias); await hm.dispose();
 *   hm.on('state', (e: HostStateEvent) => …)   // { alias, state, error?, attempt?, retryInMs? }
 *   hm.setExtraHosts(list); hm.reload();        // after settings / ~/.ssh/config change
 *
 * Callbacks (see SshCallbacks in ../transport/ssh): onUnknownHostKey(info) → Promise<boolean>,
 * askPassphrase, askPassword, askKeyboardInteractive, onSecretResult (store a secret only once accepted).
 */
import { EventEmitter } from 'node:events';
import * as l10n from '@vscode/l10n';
import type { ConnectionState } from '../transport/transport';
import { SshTransport, type ReconnectOptions, type SshCallbacks, type StateDetail } from '../transport/ssh';
import { SshConfigError, SshConfigFile, type HostEntry, type ResolvedHost } from './ssh-config';

/** A host added in the sidebar / settings (no secrets ever). */
export interface ExtraHost {
  alias: string;
  hostname: string;
  user?: string;
  port?: number;
  identityFile?: string;
  proxyJump?: string;
}

export interface HostManagerOptions {
  /** ssh_config to read (default ~/.ssh/config). */
  sshConfigPath?: string;
  /** Use only this known_hosts (read and append), instead of the ssh_config's / OpenSSH defaults. */
  knownHostsFile?: string;
  /** Trust and append unknown host keys without asking (OpenSSH accept-new). Changed keys stay refused. */
  acceptNew?: boolean;
  extraHosts?: ExtraHost[];
  callbacks?: SshCallbacks;
  reconnect?: ReconnectOptions;
  keepaliveIntervalMs?: number;
}

export interface HostStateEvent extends StateDetail {
  alias: string;
  state: ConnectionState;
}

const SAFE_VALUE = /^[^\s"#]+$/;

function extraHostsText(list: readonly ExtraHost[]): string {
  const lines: string[] = [];
  for (const h of list) {
    for (const v of [h.alias, h.hostname, h.user, h.proxyJump, h.identityFile]) {
      if (v !== undefined && !SAFE_VALUE.test(v)) throw new SshConfigError(l10n.t('invalid host setting value: {0}', JSON.stringify(v)));
    }
    lines.push(`Host ${h.alias}`, `  HostName ${h.hostname}`);
    if (h.user) lines.push(`  User ${h.user}`);
    if (h.port) lines.push(`  Port ${h.port}`);
    if (h.identityFile) lines.push(`  IdentityFile ${h.identityFile}`);
    if (h.proxyJump) lines.push(`  ProxyJump ${h.proxyJump}`);
  }
  return lines.join('\n') + '\n';
}

export class HostManager extends EventEmitter {
  private config!: SshConfigFile;
  private extra: ExtraHost[];
  private readonly pool = new Map<string, SshTransport>();

  constructor(private readonly opts: HostManagerOptions = {}) {
    super();
    this.extra = opts.extraHosts ?? [];
    this.reload();
  }

  /** Re-read the ssh_config (existing connections are kept). */
  reload(): void {
    const cfg = SshConfigFile.load(this.opts.sshConfigPath);
    // Hosts from settings come after the user's file: for the same alias, ~/.ssh/config wins (first match).
    if (this.extra.length > 0) cfg.appendText(extraHostsText(this.extra), '<settings>');
    this.config = cfg;
  }

  setExtraHosts(list: ExtraHost[]): void {
    this.extra = list;
    this.reload();
  }

  hosts(): HostEntry[] {
    return this.config.hosts();
  }

  resolve(alias: string): ResolvedHost {
    return this.config.resolve(alias);
  }

  state(alias: string): ConnectionState {
    return this.pool.get(alias)?.state ?? 'disconnected';
  }

  transport(alias: string): SshTransport {
    let t = this.pool.get(alias);
    if (!t) {
      t = this.dedicated(alias);
      t.on('state', (state: ConnectionState, detail: StateDetail) => {
        const ev: HostStateEvent = { alias, state, ...detail };
        this.emit('state', ev);
      });
      this.pool.set(alias, t);
    }
    return t;
  }

  /**
   * A connection of its own to `alias` (not pooled; the caller closes it), with the pool's host keys and
   * prompts but its own keepalive: a multi-node job notices a node's dropped link within seconds.
   */
  dedicated(alias: string, opts: { keepaliveIntervalMs?: number; keepaliveCountMax?: number } = {}): SshTransport {
    return new SshTransport(this.resolve(alias), {
      callbacks: this.opts.callbacks,
      knownHosts: this.opts.knownHostsFile
        ? { files: [this.opts.knownHostsFile], writeFile: this.opts.knownHostsFile, acceptNew: this.opts.acceptNew }
        : { acceptNew: this.opts.acceptNew },
      reconnect: this.opts.reconnect,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? this.opts.keepaliveIntervalMs,
      keepaliveCountMax: opts.keepaliveCountMax,
    });
  }

  async connect(alias: string): Promise<SshTransport> {
    const t = this.transport(alias);
    await t.connect();
    return t;
  }

  async disconnect(alias: string): Promise<void> {
    const t = this.pool.get(alias);
    if (!t) return;
    this.pool.delete(alias);
    await t.close();
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.pool.keys()].map((a) => this.disconnect(a)));
    this.removeAllListeners();
  }
}

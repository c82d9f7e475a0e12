/**
 * The `ssh` transport (ssh2): one connection per host, many channels over it.
 *
 * API (no vscode; the faces plug in through callbacks and events):
 *
 *   const t = new SshTransport(resolvedHost, {
 *     knownHosts: { files, writeFile, hashNewEntries, acceptNew },
 *     callbacks: {
 *       onUnknownHostKey(info) → Promise<boolean>   // show info.fingerprint (SHA256:…), ask; true = trust + append
 *       askPassphrase({ keyPath, host, attempt }) → Promise<string|undefined>   // undefined = skip that key
 *       askPassword({ user, host, attempt, prompt }) → Promise<string|undefined> // undefined = give up
 *       askKeyboardInteractive({ host, name, instructions, prompts }) → Promise<string[]|undefined>
 *       onSecretResult({ kind, host, user, keyPath, accepted })  // store in SecretStorage only if accepted
 *     },
 *     reconnect: { maxAttempts, initialDelayMs, maxDelayMs },
 *   });
 *   t.on('state', (state, detail) => …)   // connecting → connected → reconnecting → connected | failed | disconnected
 *   await t.connect(); await t.exec(argv, opts); await t.forwardPort(8000); await t.close();
 *
 * Connecting follows OpenSSH: TCP (or the ProxyJump chain, each hop tunnelled through the previous one
 * with forwardOut) → host key checked against known_hosts (unknown → ask or --accept-new; changed or
 * revoked → refused always, naming file:line) → auth: agent → key files (passphrase asked) →
 * keyboard-interactive → password (asked). Sockets get setNoDelay (loopback exec RTT 44 ms → ~2 ms)
 * and SSH keepalives; a dropped link reconnects with exponential backoff. Secrets that worked are kept
 * in memory only for this transport's reconnects, never written anywhere.
 *
 * Every command goes through quoteCommand (argv + env + cwd, single-quoted for the remote POSIX shell).
 */
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import * as l10n from '@vscode/l10n';
import { Client, utils as sshUtils, OpenSSHAgent, type AnyAuthMethod, type AuthHandlerMiddleware, type AuthenticationType, type ClientChannel, type ParsedKey, type Prompt } from 'ssh2';
import type { ConnectionState, ExecOptions, ExecResult, ForwardedPort, Transport } from './transport';
import { TransportError } from './transport';
import { quoteCommand } from './quote';
import type { ResolvedHost } from '../hosts/ssh-config';
import { appendHostKey, checkHostKey, hostKeyInfo, knownKeyTypes, type HostKeyInfo } from '../hosts/known-hosts';

export type SshErrorKind =
  | 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked'
  | 'auth' | 'connect' | 'proxy' | 'config' | 'closed' | 'link-lost';

/** A connection failure with a kind the faces can act on (e.g. offer "trust this host"). */
export class SshError extends TransportError {
  constructor(message: string, readonly kind: SshErrorKind, readonly hostKey?: HostKeyInfo & { host: string; port: number }) {
    super(message, kind);
    this.name = 'SshError';
  }
  /** Host-key and auth failures are not retried by reconnect. */
  get fatal(): boolean {
    return this.kind !== 'connect' && this.kind !== 'link-lost';
  }
}

export interface UnknownHostKeyInfo extends HostKeyInfo {
  host: string;
  port: number;
  /** Alias the user asked for. */
  alias: string;
  /** Where an accepted key will be appended. */
  knownHostsFile: string;
}

export interface SshCallbacks {
  onUnknownHostKey?(info: UnknownHostKeyInfo): Promise<boolean>;
  askPassphrase?(req: { keyPath: string; host: string; attempt: number }): Promise<string | undefined>;
  askPassword?(req: { user: string; host: string; attempt: number; prompt?: string }): Promise<string | undefined>;
  askKeyboardInteractive?(req: { host: string; name: string; instructions: string; prompts: Array<{ prompt: string; echo: boolean }> }): Promise<string[] | undefined>;
  /** A host key was trusted and appended (e.g. to print OpenSSH's "Permanently added …"). */
  onHostKeyAdded?(info: UnknownHostKeyInfo & { line: number }): void;
  /** Tells the face whether the secret it just gave worked (to store it in SecretStorage only then). */
  onSecretResult?(res: { kind: 'passphrase' | 'password'; host: string; user: string; keyPath?: string; accepted: boolean }): void;
}

export interface KnownHostsOptions {
  /** Files to check (override: only these, plus none of the defaults). Default: from the ssh_config. */
  files?: string[];
  /** Where accepted keys go. Default: the first of `files`. */
  writeFile?: string;
  /** Hash new entries (HashKnownHosts). Default: from the ssh_config. */
  hashNewEntries?: boolean;
  /** OpenSSH's StrictHostKeyChecking=accept-new: trust and append unknown keys without asking. */
  acceptNew?: boolean;
}

export interface ReconnectOptions {
  /** 0 disables reconnecting. Default 10. */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface SshTransportOptions {
  callbacks?: SshCallbacks;
  knownHosts?: KnownHostsOptions;
  reconnect?: ReconnectOptions;
  /** Keepalive when the ssh_config sets no ServerAliveInterval. Default 15000 ms, count 3. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** TCP connect timeout when the ssh_config sets no ConnectTimeout. Default 15000 ms. */
  connectTimeoutMs?: number;
  /** Concurrent exec channels (sshd's MaxSessions defaults to 10). Default 8. */
  maxChannels?: number;
  /** Label shown to people; default the alias. */
  label?: string;
}

export interface StateDetail {
  attempt?: number;
  error?: Error;
  /** When the next reconnect attempt starts (ms from now). */
  retryInMs?: number;
}

const HOSTKEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

function hostDisplay(h: ResolvedHost): string {
  return `${h.user}@${h.hostname}${h.port === 22 ? '' : `:${h.port}`}`;
}

/** Everything one hop's connect attempt learnt, for a clear error. */
interface AttemptLog {
  hostKeyError?: SshError;
  tried: string[];
  /** Called once auth succeeds (reports the secret that worked). */
  onSuccess?: () => void;
}

interface Secrets {
  password?: string;
  passphrases: Map<string, string>;
}

/**
 * ssh2's Channel.signal() sends nothing once our side of the channel is closed for writing (stdin ended),
 * which is the normal state of an exec; the SSH protocol allows the request until the channel closes.
 */
function sendSignal(ch: ClientChannel, sig: 'KILL' | 'TERM' | 'INT'): void {
  const c = ch as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, s: string): void } } };
  try {
    if ((c.outgoing?.state === 'open' || c.outgoing?.state === 'eof') && c._client?._protocol) c._client._protocol.signal(c.outgoing.id, sig);
    else ch.signal(sig);
  } catch {
    /* channel already gone */
  }
}

export class SshTransport extends EventEmitter implements Transport {
  readonly kind = 'ssh' as const;
  readonly label: string;
  private _state: ConnectionState = 'disconnected';
  private clients: Client[] = [];
  private sockets: net.Socket[] = [];
  private connecting?: Promise<Client>;
  private closedByUser = false;
  private everConnected = false;
  private lastError?: Error;
  private readonly secrets: Secrets = { passphrases: new Map() };
  private channelsInUse = 0;
  private readonly channelWaiters: Array<() => void> = [];
  private readonly forwards = new Set<{ server: net.Server; socks: Set<net.Socket> }>();
  private reconnectTimer?: NodeJS.Timeout;
  private stateWaiters: Array<() => void> = [];
  private generation = 0;

  constructor(readonly target: ResolvedHost, private readonly opts: SshTransportOptions = {}) {
    super();
    this.label = opts.label ?? target.alias;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The last connection error (for the Hosts view tooltip / CLI message). */
  get error(): Error | undefined {
    return this.lastError;
  }

  private setState(s: ConnectionState, detail: StateDetail = {}): void {
    if (detail.error) this.lastError = detail.error;
    if (this._state === s && s !== 'reconnecting') return;
    this._state = s;
    this.emit('state', s, detail);
    const w = this.stateWaiters;
    this.stateWaiters = [];
    for (const f of w) f();
  }

  /** Connect (or wait for the connection in progress). Rejects with SshError. */
  async connect(): Promise<void> {
    if (this.closedByUser) this.closedByUser = false;
    await this.client();
  }

  private async client(): Promise<Client> {
    if (this.closedByUser) throw new SshError(l10n.t('connection to {0} was closed', this.label), 'closed');
    if (this._state === 'connected' && this.clients.length > 0) return this.clients[this.clients.length - 1];
    if (this._state === 'reconnecting') {
      await new Promise<void>((r) => this.stateWaiters.push(r));
      return this.client();
    }
    if (this._state === 'failed' && this.lastError instanceof SshError && this.lastError.fatal && this.everConnected) throw this.lastError;
    if (!this.connecting) {
      this.setState('connecting');
      this.connecting = this.dial().then(
        (c) => { this.connecting = undefined; this.everConnected = true; this.setState('connected'); return c; },
        (e: Error) => { this.connecting = undefined; this.setState('failed', { error: e }); throw e; },
      );
    }
    return this.connecting;
  }

  /** Dial the whole chain: jump hosts first, each next hop through forwardOut of the previous. */
  private async dial(): Promise<Client> {
    const gen = ++this.generation;
    const hops = [...this.target.proxyJump, this.target];
    const made: Client[] = [];
    const socks: net.Socket[] = [];
    try {
      let sock: Duplex | undefined;
      for (let i = 0; i < hops.length; i++) {
        const hop = hops[i];
        if (!sock) {
          if (hop.proxyCommand) sock = this.proxyCommandStream(hop);
          else {
            const s = await this.tcpConnect(hop);
            socks.push(s);
            sock = s;
          }
        }
        const c = await this.handshake(hop, sock, i < hops.length - 1);
        made.push(c);
        if (i < hops.length - 1) {
          const next = hops[i + 1];
          sock = await new Promise<Duplex>((resolve, reject) => {
            c.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, ch) => {
              if (err) reject(new SshError(l10n.t('jump host {0} could not reach {1}:{2}: {3}', hostDisplay(hop), next.hostname, String(next.port), err.message), 'proxy'));
              else resolve(ch);
            });
          });
        }
      }
    } catch (e) {
      for (const c of made) c.end();
      for (const s of socks) s.destroy();
      this.killProxies();
      throw e;
    }
    this.clients = made;
    this.sockets = socks;
    for (const c of made) {
      c.on('close', () => this.onLinkClosed(gen));
      c.on('error', (err: Error) => { this.lastError = err; });
    }
    return made[made.length - 1];
  }

  private proxies: ChildProcess[] = [];

  /** ProxyCommand (run by /bin/sh, as OpenSSH does): its stdin/stdout are the link. */
  private proxyCommandStream(hop: ResolvedHost): Duplex {
    const child = spawn('/bin/sh', ['-c', hop.proxyCommand!], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proxies.push(child);
    child.on('exit', () => { this.proxies = this.proxies.filter((c) => c !== child); });
    const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
    child.on('error', (e) => d.destroy(e));
    return d;
  }

  private killProxies(): void {
    for (const c of this.proxies) c.kill('SIGTERM');
    this.proxies = [];
  }

  private tcpConnect(hop: ResolvedHost): Promise<net.Socket> {
    const timeout = hop.connectTimeoutS ? hop.connectTimeoutS * 1000 : (this.opts.connectTimeoutMs ?? 15_000);
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: hop.hostname, port: hop.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SshError(l10n.t('cannot connect to {0}:{1}: timed out after {2} ms', hop.hostname, String(hop.port), String(timeout)), 'connect'));
      }, timeout);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        s.setKeepAlive(true, 30_000);
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SshError(l10n.t('cannot connect to {0}:{1}: {2}', hop.hostname, String(hop.port), e.code ?? e.message), 'connect'));
      });
    });
  }

  private knownHostsFiles(hop: ResolvedHost): { read: string[]; write: string; hash: boolean } {
    const kh = this.opts.knownHosts ?? {};
    const user = kh.files ?? hop.userKnownHostsFiles;
    const read = kh.files ? [...kh.files] : [...user, ...hop.globalKnownHostsFiles];
    return { read, write: kh.writeFile ?? user[0], hash: kh.hashNewEntries ?? hop.hashKnownHosts };
  }

  private handshake(hop: ResolvedHost, sock: Duplex, isJump: boolean): Promise<Client> {
    const c = new Client();
    const log: AttemptLog = { tried: [] };
    const kh = this.knownHostsFiles(hop);
    const keyHost = hop.hostKeyAlias ?? hop.hostname;
    const keyPort = hop.hostKeyAlias ? 22 : hop.port;
    const preferred = knownKeyTypes(kh.read, keyHost, keyPort).flatMap((t) => HOSTKEY_ALGOS[t] ?? []);
    const interval = hop.serverAliveIntervalS > 0 ? hop.serverAliveIntervalS * 1000 : (this.opts.keepaliveIntervalMs ?? 15_000);
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        c.end();
        reject(e);
      };
      c.once('ready', () => {
        if (settled) return;
        settled = true;
        c.removeAllListeners('error');
        c.on('error', () => undefined);
        log.onSuccess?.();
        resolve(c);
      });
      c.on('error', (e: Error & { level?: string }) => {
        if (log.hostKeyError) return fail(log.hostKeyError);
        if (e.level === 'client-authentication') {
          return fail(new SshError(
            l10n.t('permission denied for {0}: {1}', hostDisplay(hop), log.tried.length ? log.tried.join('; ') : l10n.t('no authentication method was available')),
            'auth'));
        }
        fail(new SshError(l10n.t('ssh connection to {0} failed: {1}', hostDisplay(hop), e.message), isJump ? 'proxy' : 'connect'));
      });
      c.once('close', () => fail(log.hostKeyError ?? new SshError(l10n.t('ssh connection to {0} closed during the handshake', hostDisplay(hop)), 'connect')));
      try {
        c.connect({
          sock: sock as unknown as import('node:stream').Readable,
          username: hop.user,
          readyTimeout: 10 * 60_000, // includes time the user spends answering prompts
          keepaliveInterval: interval,
          keepaliveCountMax: hop.serverAliveCountMax || (this.opts.keepaliveCountMax ?? 3),
          algorithms: preferred.length ? { serverHostKey: { remove: preferred, prepend: preferred } as never } : undefined,
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            this.verifyHostKey(hop, keyHost, keyPort, key, kh).then(
              () => verify(true),
              (e: SshError) => { log.hostKeyError = e; verify(false); },
            );
          },
          authHandler: this.authHandler(hop, log) as unknown as AuthHandlerMiddleware,
        });
      } catch (e) {
        fail(new SshError((e as Error).message, 'config'));
      }
    });
  }

  private async verifyHostKey(hop: ResolvedHost, host: string, port: number, key: Buffer, kh: { read: string[]; write: string; hash: boolean }): Promise<void> {
    const info = hostKeyInfo(host, port, key);
    const v = checkHostKey(kh.read, host, port, key);
    const withHost = { ...info, host, port };
    if (v.status === 'known') return;
    if (v.status === 'revoked') {
      throw new SshError(l10n.t('the host key of {0} ({1} {2}) is marked @revoked in {3}:{4}; refusing to connect', info.hostField, info.keyType, info.fingerprint, v.file, String(v.line)), 'host-key-revoked', withHost);
    }
    if (v.status === 'changed') {
      throw new SshError(
        l10n.t('HOST KEY CHANGED for {0}: it now presents {1} {2}, but {3}:{4} holds a different key ({5} {6}). Someone could be intercepting the connection. If the host was really reinstalled, remove line {4} from {3} (ssh-keygen -R "{0}" -f "{3}") and connect again.',
          info.hostField, info.keyType, info.fingerprint, v.file, String(v.line), v.knownKeyType, v.knownFingerprint),
        'host-key-changed', withHost);
    }
    // Unknown key.
    const accept = async (): Promise<boolean> => {
      if (this.opts.knownHosts?.acceptNew || hop.strictHostKeyChecking === 'accept-new' || hop.strictHostKeyChecking === 'no') return true;
      if (hop.strictHostKeyChecking === 'yes' || hop.batchMode) return false;
      const cb = this.opts.callbacks?.onUnknownHostKey;
      if (!cb) return false;
      return cb({ ...info, host, port, alias: hop.alias, knownHostsFile: kh.write });
    };
    if (await accept()) {
      try {
        const at = appendHostKey(kh.write, host, port, key, kh.hash);
        this.opts.callbacks?.onHostKeyAdded?.({ ...info, host, port, alias: hop.alias, knownHostsFile: at.file, line: at.line });
      } catch (e) {
        throw new SshError(l10n.t('cannot add the host key to {0}: {1}', kh.write, (e as Error).message), 'config', withHost);
      }
      return;
    }
    throw new SshError(
      l10n.t('the host key of {0} is not known ({1} {2}); not connecting. Check the fingerprint with the host\'s administrator, then trust it (CLI: --accept-new) to add it to {3}.', info.hostField, info.keyType, info.fingerprint, kh.write),
      'host-key-unknown', withHost);
  }

  /** OpenSSH's order: agent → key files (passphrase asked) → keyboard-interactive → password. */
  private authHandler(hop: ResolvedHost, log: AttemptLog) {
    const cb = this.opts.callbacks ?? {};
    const hostName = hostDisplay(hop);
    type Step = { method: AuthenticationType; make: () => Promise<AnyAuthMethod | undefined>; onFail?: () => void };
    const steps: Step[] = [{ method: 'none', make: async () => ({ type: 'none', username: hop.user }) }];
    if (hop.pubkeyAuthentication) {
      if (hop.identityAgent && fs.existsSync(hop.identityAgent)) {
        steps.push({
          method: 'publickey',
          make: async () => {
            const agent = hop.identitiesOnly ? this.filteredAgent(hop) : new OpenSSHAgent(hop.identityAgent!);
            log.tried.push(l10n.t('agent keys rejected or none loaded'));
            return { type: 'agent', username: hop.user, agent };
          },
        });
      }
      for (const keyPath of hop.identityFiles) {
        steps.push({ method: 'publickey', make: () => this.loadKey(hop, keyPath, log) });
      }
    }
    let pwAttempt = 0;
    const passwordStep = (): Step => ({
      method: 'password',
      make: async () => {
        pwAttempt++;
        let pw = pwAttempt === 1 ? this.secrets.password : undefined;
        if (pw === undefined && !hop.batchMode && cb.askPassword) pw = await cb.askPassword({ user: hop.user, host: hostName, attempt: pwAttempt });
        if (pw === undefined) {
          log.tried.push(l10n.t('password: none given'));
          return undefined;
        }
        const given = pw;
        log.onSuccess = () => { this.secrets.password = given; cb.onSecretResult?.({ kind: 'password', host: hostName, user: hop.user, accepted: true }); };
        return { type: 'password', username: hop.user, password: pw };
      },
      onFail: () => {
        this.secrets.password = undefined;
        log.tried.push(l10n.t('password rejected'));
        cb.onSecretResult?.({ kind: 'password', host: hostName, user: hop.user, accepted: false });
      },
    });
    if (hop.kbdInteractiveAuthentication && (cb.askKeyboardInteractive || cb.askPassword) && !hop.batchMode) {
      steps.push({
        method: 'keyboard-interactive',
        make: async () => ({
          type: 'keyboard-interactive',
          username: hop.user,
          prompt: (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: (answers: string[]) => void) => {
            void (async () => {
              if (prompts.length === 0) return finish([]);
              if (prompts.length === 1 && !prompts[0].echo && /password/i.test(prompts[0].prompt) && cb.askPassword) {
                const pw = this.secrets.password ?? await cb.askPassword({ user: hop.user, host: hostName, attempt: 1, prompt: prompts[0].prompt });
                return finish(pw === undefined ? [] : [pw]);
              }
              const answers = cb.askKeyboardInteractive
                ? await cb.askKeyboardInteractive({ host: hostName, name, instructions, prompts: prompts.map((p) => ({ prompt: p.prompt, echo: !!p.echo })) })
                : undefined;
              finish(answers ?? []);
            })();
          },
        }),
        onFail: () => { log.tried.push(l10n.t('keyboard-interactive rejected')); },
      });
    }
    if (hop.passwordAuthentication) {
      for (let i = 0; i < Math.max(1, hop.numberOfPasswordPrompts); i++) steps.push(passwordStep());
    }
    let idx = 0;
    let current: Step | undefined;
    return (methodsLeft: AuthenticationType[] | null, partial: boolean | null, next: (m: AnyAuthMethod | false) => void) => {
      if (current?.onFail && !partial && methodsLeft !== null) current.onFail();
      current = undefined;
      log.onSuccess = undefined;
      void (async () => {
        while (idx < steps.length) {
          const s = steps[idx++];
          if (methodsLeft && s.method !== 'none' && !methodsLeft.includes(s.method)) continue;
          if (s.method === 'none' && methodsLeft) continue;
          let m: AnyAuthMethod | undefined;
          try {
            m = await s.make();
          } catch (e) {
            log.tried.push((e as Error).message);
            continue;
          }
          if (!m) continue;
          current = s;
          return next(m);
        }
        next(false);
      })();
    };
  }

  /** Read and (if needed) decrypt a key file, asking for the passphrase. */
  private async loadKey(hop: ResolvedHost, keyPath: string, log: AttemptLog): Promise<AnyAuthMethod | undefined> {
    let data: Buffer;
    try {
      data = fs.readFileSync(keyPath);
    } catch {
      if (hop.identityFilesExplicit) log.tried.push(l10n.t('key {0}: cannot read it', keyPath));
      return undefined;
    }
    const cb = this.opts.callbacks ?? {};
    const hostName = hostDisplay(hop);
    let parsed = sshUtils.parseKey(data);
    if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
      const known = this.secrets.passphrases.get(keyPath);
      if (known !== undefined) parsed = sshUtils.parseKey(data, known);
      for (let attempt = 1; parsed instanceof Error && attempt <= 3; attempt++) {
        const pass = hop.batchMode || !cb.askPassphrase ? undefined : await cb.askPassphrase({ keyPath, host: hostName, attempt });
        if (pass === undefined) {
          log.tried.push(l10n.t('key {0} is protected by a passphrase and none was given', keyPath));
          return undefined;
        }
        parsed = sshUtils.parseKey(data, pass);
        const ok = !(parsed instanceof Error);
        cb.onSecretResult?.({ kind: 'passphrase', host: hostName, user: hop.user, keyPath, accepted: ok });
        if (ok) this.secrets.passphrases.set(keyPath, pass);
        else if (attempt === 3) {
          log.tried.push(l10n.t('key {0}: wrong passphrase', keyPath));
          return undefined;
        }
      }
    }
    if (parsed instanceof Error) {
      log.tried.push(l10n.t('key {0}: {1}', keyPath, parsed.message));
      return undefined;
    }
    const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
    log.tried.push(l10n.t('key {0} rejected by the server', keyPath));
    return { type: 'publickey', username: hop.user, key };
  }

  /** IdentitiesOnly: offer only agent keys that match a configured IdentityFile(.pub). */
  private filteredAgent(hop: ResolvedHost): OpenSSHAgent {
    const allowed = new Set<string>();
    for (const f of hop.identityFiles) {
      for (const candidate of [`${f}.pub`, f]) {
        try {
          const k = sshUtils.parseKey(fs.readFileSync(candidate));
          if (!(k instanceof Error)) {
            const one = Array.isArray(k) ? (k as ParsedKey[])[0] : k;
            allowed.add(one.getPublicSSH().toString('base64'));
            break;
          }
        } catch { /* missing */ }
      }
    }
    const agent = new OpenSSHAgent(hop.identityAgent!);
    const orig = agent.getIdentities.bind(agent);
    agent.getIdentities = (cb) => orig((err, keys) => cb(err, (keys ?? []).filter((k) => allowed.has((k as ParsedKey).getPublicSSH().toString('base64')))));
    return agent;
  }

  private onLinkClosed(gen: number): void {
    if (gen !== this.generation) return;
    this.generation++;
    for (const c of this.clients) c.end();
    for (const s of this.sockets) s.destroy();
    this.killProxies();
    this.clients = [];
    this.sockets = [];
    if (this.closedByUser) {
      this.setState('disconnected');
      return;
    }
    const max = this.opts.reconnect?.maxAttempts ?? 10;
    if (max === 0) {
      this.setState('disconnected', { error: new SshError(l10n.t('the connection to {0} was lost', this.label), 'link-lost') });
      return;
    }
    void this.reconnectLoop(max);
  }

  private async reconnectLoop(max: number): Promise<void> {
    const initial = this.opts.reconnect?.initialDelayMs ?? 500;
    const maxDelay = this.opts.reconnect?.maxDelayMs ?? 30_000;
    for (let attempt = 1; attempt <= max; attempt++) {
      const delay = Math.min(maxDelay, initial * 2 ** (attempt - 1));
      const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
      this.setState('reconnecting', { attempt, retryInMs: jittered });
      await new Promise<void>((r) => { this.reconnectTimer = setTimeout(r, jittered); });
      if (this.closedByUser) return;
      try {
        await this.dial();
        this.setState('connected', { attempt });
        return;
      } catch (e) {
        this.lastError = e as Error;
        if (e instanceof SshError && e.fatal) {
          this.setState('failed', { error: e, attempt });
          return;
        }
      }
    }
    this.setState('failed', { error: this.lastError ?? new SshError(l10n.t('could not reconnect to {0}', this.label), 'link-lost') });
  }

  private channelLimit = Number.POSITIVE_INFINITY;

  private async acquireChannel(): Promise<void> {
    while (this.channelsInUse >= Math.min(this.opts.maxChannels ?? 8, this.channelLimit)) {
      await new Promise<void>((r) => this.channelWaiters.push(r));
    }
    this.channelsInUse++;
  }

  private releaseChannel(): void {
    this.channelsInUse--;
    this.channelWaiters.shift()?.();
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new TransportError('empty argv');
    const command = quoteCommand(argv, opts.env, opts.cwd);
    await this.acquireChannel();
    try {
      for (let attempt = 0; ; attempt++) {
        const client = await this.clientOrAbort(opts.signal);
        if (!client) return { code: null, signal: 'SIGTERM', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false };
        const gen = this.generation;
        try {
          return await this.runChannel(client, command, argv[0], opts);
        } catch (e) {
          // The channel never opened because the link died under it: the command did not start, so it is
          // safe to run it once more on the reconnected link.
          const linkDied = gen !== this.generation || this._state !== 'connected';
          if (attempt === 0 && e instanceof TransportError && e.causeCode === 'CHANNEL' && linkDied) {
            await new Promise<void>((r) => setImmediate(r));
            continue;
          }
          // sshd refuses sessions beyond MaxSessions ("open failed"); sessions whose program is still
          // exiting count too. Lower our own limit to what the host allows and try again shortly.
          if (attempt < 50 && e instanceof TransportError && e.causeCode === 'CHANNEL' && /open failed/i.test(e.message)) {
            this.channelLimit = Math.max(1, Math.min(this.channelLimit, this.channelsInUse - 1));
            await new Promise<void>((r) => setTimeout(r, 20 + attempt * 10));
            continue;
          }
          throw e;
        }
      }
    } finally {
      this.releaseChannel();
    }
  }

  /** The connected client, or undefined if `signal` aborts first (e.g. while reconnecting). */
  private clientOrAbort(signal?: AbortSignal): Promise<Client | undefined> {
    if (!signal) return this.client();
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise<Client | undefined>((resolve, reject) => {
      const onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.client().then(
        (c) => { signal.removeEventListener('abort', onAbort); resolve(c); },
        (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
      );
    });
  }

  private runChannel(client: Client, command: string, what: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      if (opts.signal?.aborted) {
        resolve({ code: null, signal: 'SIGTERM', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
        return;
      }
      // ssh2 calls back from its socket, whose async context is the connection's; bound here, the callbacks
      // (and opts.onStdout …) run in the caller's, so text they build speaks the caller's language.
      const resource = new AsyncResource('ascend-adapt.ssh.exec');
      const inCaller = <A extends unknown[]>(f: (...a: A) => void) => resource.bind(f);
      client.exec(command, inCaller((err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          reject(new TransportError(l10n.t('cannot run {0} on {1}: {2}', what, this.label, err.message), 'CHANNEL'));
          return;
        }
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let code: number | null = null;
        let signal: string | null = null;
        let gotExit = false;
        let timedOut = false;
        let aborted = false;
        let closeTimer: NodeJS.Timeout | undefined;
        const stop = (sig: 'KILL' | 'TERM') => {
          sendSignal(ch, sig);
          // If the remote program ignores the signal, stop waiting for it after a while.
          closeTimer ??= setTimeout(() => ch.close(), sig === 'KILL' ? 1000 : 3000);
        };
        const timer = opts.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; stop('KILL'); }, opts.timeoutMs) : undefined;
        const onAbort = () => { aborted = true; stop('TERM'); };
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        ch.on('data', inCaller((d: Buffer) => { out.push(d); opts.onStdout?.(d); }));
        ch.stderr.on('data', inCaller((d: Buffer) => { errb.push(d); opts.onStderr?.(d); }));
        ch.on('exit', (c: number | null, sig?: string) => {
          gotExit = true;
          code = typeof c === 'number' ? c : null;
          signal = sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null;
        });
        ch.on('close', inCaller(() => {
          if (timer) clearTimeout(timer);
          if (closeTimer) clearTimeout(closeTimer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (!gotExit && !timedOut && !aborted) {
            reject(new TransportError(l10n.t('the connection to {0} was lost while running {1}', this.label, what), 'LINK_LOST'));
            return;
          }
          if ((timedOut || aborted) && !gotExit) signal = timedOut ? 'SIGKILL' : 'SIGTERM';
          resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(errb), timedOut });
        }));
        if (opts.stdin !== undefined) ch.end(opts.stdin);
        else ch.end();
      }));
    });
  }

  async forwardPort(remotePort: number, remoteHost = '127.0.0.1'): Promise<ForwardedPort> {
    await this.client();
    const socks = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      socks.add(sock);
      sock.setNoDelay(true);
      sock.on('close', () => socks.delete(sock));
      sock.on('error', () => sock.destroy());
      sock.pause();
      this.client().then((client) => {
        client.forwardOut(sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, remoteHost, remotePort, (err, ch) => {
          if (err) { sock.destroy(); return; }
          sock.pipe(ch).pipe(sock);
          ch.on('close', () => sock.destroy());
          ch.on('error', () => sock.destroy());
          sock.on('close', () => ch.close());
          sock.resume();
        });
      }, () => sock.destroy());
    });
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(0, '127.0.0.1', () => res()); });
    const entry = { server, socks };
    this.forwards.add(entry);
    return {
      localPort: (server.address() as net.AddressInfo).port,
      close: () => new Promise<void>((res) => {
        this.forwards.delete(entry);
        for (const s of socks) s.destroy();
        server.close(() => res());
      }),
    };
  }

  /**
   * Destroy the underlying TCP socket as a dead link would (no SSH disconnect message). For tests and
   * diagnostics; the transport then reconnects like after a real drop.
   */
  simulateLinkDrop(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const f of [...this.forwards]) {
      for (const s of f.socks) s.destroy();
      f.server.close();
    }
    this.forwards.clear();
    const clients = this.clients;
    if (clients.length === 0) {
      this.setState('disconnected');
      return;
    }
    await new Promise<void>((res) => {
      const last = clients[clients.length - 1];
      const t = setTimeout(res, 2000);
      last.once('close', () => { clearTimeout(t); res(); });
      for (const c of [...clients].reverse()) c.end();
    });
    for (const s of this.sockets) s.destroy();
    this.killProxies();
    this.clients = [];
    this.sockets = [];
    this.setState('disconnected');
  }
}

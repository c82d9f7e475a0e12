/**
 * ~/.ssh/config resolution the way OpenSSH does it, on top of the `ssh-config` package: `Include`
 * (globs, relative to ~/.ssh, nested, inside Host blocks too), first value wins, IdentityFile repeats,
 * `%h %p %r %u %n %d %%` tokens and `~` in paths, ProxyJump chains (`a,b`, `user@host:port`).
 * `Match exec` is not evaluated (no shell runs while reading a config).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';

export interface ResolvedHost {
  /** What the user typed / the Host alias. */
  alias: string;
  hostname: string;
  port: number;
  user: string;
  /** IdentityFile entries, expanded; the OpenSSH defaults when none is configured. */
  identityFiles: string[];
  /** True when IdentityFile was given explicitly (defaults are tried only if they exist). */
  identityFilesExplicit: boolean;
  identitiesOnly: boolean;
  /** Agent socket: IdentityAgent, else SSH_AUTH_SOCK; undefined = none ("none" disables). */
  identityAgent?: string;
  /** The hops to go through, first hop first (each fully resolved). */
  proxyJump: ResolvedHost[];
  proxyCommand?: string;
  serverAliveIntervalS: number;
  serverAliveCountMax: number;
  connectTimeoutS?: number;
  /** UserKnownHostsFile entries (expanded). */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** 'yes' | 'no' | 'accept-new' | 'ask' (OpenSSH's values; "off" → "no"). */
  strictHostKeyChecking: string;
  hashKnownHosts: boolean;
  hostKeyAlias?: string;
  batchMode: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  pubkeyAuthentication: boolean;
  numberOfPasswordPrompts: number;
}

export interface HostEntry {
  /** A Host pattern without wildcards or negation: something a person can pick. */
  alias: string;
  hostname: string;
  user: string;
  port: number;
  proxyJump?: string;
  /** Where the Host line is (file:line). */
  source: string;
  /** Set when the entry cannot be used as written (e.g. a bad Port). */
  error?: string;
}

export class SshConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConfigError';
  }
}

const MAX_INCLUDE_DEPTH = 16;

function homeDir(): string {
  return process.env.HOME || os.homedir();
}

export function expandTilde(p: string): string {
  if (p === '~') return homeDir();
  if (p.startsWith('~/')) return path.join(homeDir(), p.slice(2));
  return p;
}

/** Filesystem glob for Include (`*`, `?` in any path component), sorted like glob(3). */
function globFiles(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part === '') continue;
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const b of bases) next.push(path.join(b, part));
    } else {
      const re = new RegExp('^' + part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
      for (const b of bases) {
        let names: string[] = [];
        try { names = fs.readdirSync(b); } catch { continue; }
        for (const n of names.sort()) if (re.test(n) && !(n.startsWith('.') && !part.startsWith('.'))) next.push(path.join(b, n));
      }
    }
    bases = next;
  }
  return bases.filter((p) => { try { return fs.statSync(p).isFile(); } catch { return false; } });
}

function valuesOf(line: Line): string[] {
  if (line.type !== LineType.DIRECTIVE) return [];
  const v = line.value;
  return Array.isArray(v) ? v.map((x) => x.val) : v.split(/\s+/).filter(Boolean);
}

interface Located { file: string; line: number }

/** Loaded config: Includes spliced in, plus where each Host line came from. */
export class SshConfigFile {
  readonly config: SSHConfig;
  private readonly hostSources = new Map<Line, Located>();

  private constructor(config: SSHConfig) {
    this.config = config;
  }

  /** Read FILE (default ~/.ssh/config). A missing file is an empty config, as for OpenSSH. */
  static load(file?: string): SshConfigFile {
    const f = file ? path.resolve(expandTilde(file)) : path.join(homeDir(), '.ssh', 'config');
    const cfg = SSHConfig.parse('');
    const out = new SshConfigFile(cfg);
    if (fs.existsSync(f)) out.splice(cfg, f, 0, undefined);
    else if (file) throw new SshConfigError(`ssh config file not found: ${f}`);
    return out;
  }

  static fromText(text: string, file = '<text>'): SshConfigFile {
    const cfg = SSHConfig.parse('');
    const out = new SshConfigFile(cfg);
    out.spliceParsed(cfg, SSHConfig.parse(text), text, file, 0, undefined);
    return out;
  }

  /** Add config text after what is loaded (later entries lose to earlier ones, as in OpenSSH). */
  appendText(text: string, file = '<text>'): void {
    this.spliceParsed(this.config, SSHConfig.parse(text), text, file, 0, undefined);
  }

  private splice(into: SSHConfig, file: string, depth: number, section: SSHConfig | undefined): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new SshConfigError(`cannot read ssh config ${file}: ${(e as Error).message}`);
    }
    let parsed: SSHConfig;
    try {
      parsed = SSHConfig.parse(text);
    } catch (e) {
      throw new SshConfigError(`cannot parse ssh config ${file}: ${(e as Error).message}`);
    }
    this.spliceParsed(into, parsed, text, file, depth, section);
  }

  private spliceParsed(into: SSHConfig, parsed: SSHConfig, text: string, file: string, depth: number, section: SSHConfig | undefined): void {
    if (depth > MAX_INCLUDE_DEPTH) throw new SshConfigError(`ssh config Include nested too deeply at ${file}`);
    const hostLineNumbers = this.hostLineNumbers(text);
    let hostIdx = 0;
    const includeInto = (line: Line, target: SSHConfig, sect: SSHConfig | undefined) => {
      for (const pat of valuesOf(line)) {
        let p = expandTilde(pat);
        if (!path.isAbsolute(p)) p = path.join(homeDir(), '.ssh', p);
        for (const f of globFiles(p)) this.splice(target, f, depth + 1, sect);
      }
    };
    for (const line of parsed) {
      if (line.type !== LineType.DIRECTIVE) continue;
      if (/^include$/i.test(line.param)) {
        includeInto(line, section ?? into, section);
        continue;
      }
      if ('config' in line && /^(host|match)$/i.test(line.param)) {
        this.hostSources.set(line, { file, line: hostLineNumbers[hostIdx++] ?? 0 });
        // Includes inside a Host/Match block apply under that block's condition.
        const own = line.config;
        const kept = SSHConfig.parse('');
        for (const sub of own) {
          if (sub.type === LineType.DIRECTIVE && /^include$/i.test(sub.param)) includeInto(sub, kept, kept);
          else kept.push(sub);
        }
        line.config = kept;
        // Host/Match sections always live at the top level (an included file's Host starts a new block).
        this.config.push(line);
        continue;
      }
      (section ?? into).push(line);
    }
  }

  private hostLineNumbers(text: string): number[] {
    const out: number[] = [];
    text.split(/\r?\n/).forEach((l, i) => { if (/^\s*(host|match)\b/i.test(l)) out.push(i + 1); });
    return out;
  }

  /** Host aliases a person can pick (no wildcards, no negations), in file order. */
  hosts(): HostEntry[] {
    const out: HostEntry[] = [];
    const seen = new Set<string>();
    for (const line of this.config) {
      if (line.type !== LineType.DIRECTIVE || !/^host$/i.test(line.param)) continue;
      for (const alias of valuesOf(line)) {
        if (/[*?!]/.test(alias) || seen.has(alias)) continue;
        seen.add(alias);
        const src = this.hostSources.get(line);
        const source = src ? `${src.file}:${src.line}` : '';
        const pj = this.compute(alias).proxyjump;
        const proxyJump = typeof pj === 'string' && pj !== 'none' ? pj : undefined;
        try {
          const r = this.resolve(alias, { skipJumps: true });
          out.push({ alias, hostname: r.hostname, user: r.user, port: r.port, proxyJump, source });
        } catch (e) {
          out.push({ alias, hostname: '', user: '', port: 0, proxyJump, source, error: (e as Error).message });
        }
      }
    }
    return out;
  }

  private compute(host: string, user?: string): Record<string, string | string[]> {
    const opts = user !== undefined ? { Host: host, User: user } : host;
    return (this.config.compute as (o: unknown, c: unknown) => Record<string, string | string[]>)(opts, { ignoreCase: true, matchExec: false });
  }

  /**
   * Resolve an alias (or `user@host:port`) into everything needed to connect, ProxyJump hops included.
   */
  resolve(target: string, opts: { skipJumps?: boolean; depth?: number } = {}): ResolvedHost {
    let user: string | undefined;
    let host = target;
    let port: number | undefined;
    const at = host.lastIndexOf('@');
    if (at > 0) { user = host.slice(0, at); host = host.slice(at + 1); }
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(host) ?? /^([^:]+):(\d+)$/.exec(host);
    if (m) { host = m[1]; port = Number(m[2]); }
    const c = this.compute(host, user);
    const one = (k: string): string | undefined => {
      const v = c[k];
      if (v === undefined) return undefined;
      return Array.isArray(v) ? v.join(' ') : v;
    };
    const list = (k: string): string[] => {
      const v = c[k];
      if (v === undefined) return [];
      return Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean);
    };
    const yes = (k: string, dflt: boolean) => {
      const v = one(k)?.toLowerCase();
      return v === undefined ? dflt : v === 'yes' || v === 'true';
    };
    const hostname = (one('hostname') ?? host).replace(/%h/g, host);
    const finalUser = user ?? one('user') ?? (process.env.USER || os.userInfo().username);
    const finalPort = port ?? (one('port') ? Number(one('port')) : 22);
    if (!Number.isInteger(finalPort) || finalPort <= 0 || finalPort > 65535) throw new SshConfigError(`bad Port for ${target}: ${one('port')}`);
    const tokens = (s: string) => s.replace(/%(.)/g, (_all, t: string) => {
      switch (t) {
        case '%': return '%';
        case 'h': return hostname;
        case 'p': return String(finalPort);
        case 'r': return finalUser;
        case 'n': return host;
        case 'u': return os.userInfo().username;
        case 'd': return homeDir();
        case 'l': return os.hostname();
        default: return `%${t}`;
      }
    });
    const pathOf = (s: string) => expandTilde(tokens(s));
    const explicit = list('identityfile');
    const identityFiles = explicit.length > 0
      ? explicit.map(pathOf)
      : ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_dsa'].map((n) => path.join(homeDir(), '.ssh', n));
    let identityAgent: string | undefined = one('identityagent');
    if (identityAgent === undefined || identityAgent === 'SSH_AUTH_SOCK') identityAgent = process.env.SSH_AUTH_SOCK || undefined;
    else if (identityAgent.toLowerCase() === 'none') identityAgent = undefined;
    else identityAgent = identityAgent.startsWith('$') ? process.env[identityAgent.slice(1)] : pathOf(identityAgent);
    let strict = (one('stricthostkeychecking') ?? 'ask').toLowerCase();
    if (strict === 'off') strict = 'no';
    if (strict === 'true') strict = 'yes';

    const depth = opts.depth ?? 0;
    if (depth > 8) throw new SshConfigError(`ProxyJump chain too long at ${target}`);
    const pj = one('proxyjump');
    const proxyJump: ResolvedHost[] = [];
    if (!opts.skipJumps && pj && pj.toLowerCase() !== 'none') {
      for (const hop of pj.split(',').map((s) => s.trim()).filter(Boolean)) {
        const spec = hop.replace(/^ssh:\/\//, '');
        const r = this.resolve(spec, { depth: depth + 1 });
        // A hop's own jumps come first (OpenSSH runs `ssh -W` for the hop with its own config).
        proxyJump.push(...r.proxyJump, { ...r, proxyJump: [] });
      }
    }
    const pc = one('proxycommand');
    return {
      alias: target,
      hostname,
      port: finalPort,
      user: finalUser,
      identityFiles,
      identityFilesExplicit: explicit.length > 0,
      identitiesOnly: yes('identitiesonly', false),
      identityAgent,
      proxyJump,
      proxyCommand: pc && pc.toLowerCase() !== 'none' && proxyJump.length === 0 ? tokens(pc) : undefined,
      serverAliveIntervalS: Number(one('serveraliveinterval') ?? 0) || 0,
      serverAliveCountMax: Number(one('serveralivecountmax') ?? 3) || 3,
      connectTimeoutS: one('connecttimeout') ? Number(one('connecttimeout')) : undefined,
      userKnownHostsFiles: list('userknownhostsfile').length > 0
        ? list('userknownhostsfile').map(pathOf)
        : [path.join(homeDir(), '.ssh', 'known_hosts'), path.join(homeDir(), '.ssh', 'known_hosts2')],
      globalKnownHostsFiles: list('globalknownhostsfile').length > 0
        ? list('globalknownhostsfile').map(pathOf)
        : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      strictHostKeyChecking: strict,
      hashKnownHosts: yes('hashknownhosts', false),
      hostKeyAlias: one('hostkeyalias'),
      batchMode: yes('batchmode', false),
      passwordAuthentication: yes('passwordauthentication', true),
      kbdInteractiveAuthentication: yes('kbdinteractiveauthentication', yes('challengeresponseauthentication', true)),
      pubkeyAuthentication: yes('pubkeyauthentication', true),
      numberOfPasswordPrompts: Number(one('numberofpasswordprompts') ?? 3) || 3,
    };
  }
}

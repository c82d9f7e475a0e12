import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { ConfigError, configPath, getProfile, loadConfigFile, type NamedProfile } from '../core/profiles';
import { readSimConfig } from '../core/sim/config';
import { simExecEnv } from '../core/sim/env';
import { LocalTransport } from '../core/transport/local';
import type { Transport } from '../core/transport/transport';
import { UsageError, type CliIO, type GlobalValues } from './command';
import { opt, type OptionDecls } from './options';

/**
 * Where a command runs — `--host ALIAS`, `--local`, `--sim DIR`, `--profile NAME [--config FILE]`,
 * `--endpoint URL` — declared, parsed and checked here once. A resolved target also knows the flags
 * that reach it again, so every hint the CLI prints can be copied and run as it stands.
 */
export interface TargetDecl {
  /** 'many': several --host / --sim at once (env-check). Default one. */
  hosts?: 'one' | 'many';
  /**
   * --sim DIR (a simulated host on this machine). 'env': commands see DIR/env.sh applied (run, jobs,
   * env-check); 'root': DIR becomes the profile's simRoot and each job sources env.sh itself.
   */
  sim?: 'env' | 'root';
  /** --profile NAME and --config FILE: a serving profile, whose "host" is the default target. */
  profile?: boolean;
  /** --endpoint URL: any OpenAI-compatible server, instead of a profile. */
  endpoint?: boolean;
}

export interface TargetValues {
  host: string[];
  local: boolean;
  sim: string[];
  profile?: string;
  config?: string;
  endpoint?: string;
}

export function targetOptions(d: TargetDecl): OptionDecls {
  const many = d.hosts === 'many';
  const o: OptionDecls = {
    host: opt.string({ metavar: 'ALIAS', repeat: many, help: () => (many ? l10n.t('SSH host alias from ~/.ssh/config; several hosts are checked together') : l10n.t('SSH host alias from ~/.ssh/config')) }),
    local: opt.flag(() => l10n.t('run on this machine')),
  };
  if (d.sim) o.sim = opt.string({ metavar: 'DIR', repeat: many, help: () => l10n.t('the SIMULATED host made by `ascend-adapt sim create DIR`, on this machine') });
  if (d.profile) {
    o.profile = opt.string({ metavar: 'NAME', help: () => l10n.t('serving profile in ascend-adapt.json (its "host" is where it runs unless --host/--local/--sim say otherwise)') });
    o.config = opt.string({ metavar: 'FILE', help: () => l10n.t('the file with the profiles (default ./ascend-adapt.json)') });
  }
  if (d.endpoint) o.endpoint = opt.string({ metavar: 'URL', help: () => l10n.t('a running OpenAI-compatible server, e.g. http://127.0.0.1:8000 (instead of --profile)') });
  return o;
}

/** The target part of the usage line, e.g. `(--host ALIAS | --local | --sim DIR)`. */
export function targetSynopsis(d: TargetDecl): string {
  const dots = d.hosts === 'many' ? '…' : '';
  const hosts = [`--host ALIAS${dots}`, '--local', ...(d.sim ? [`--sim DIR${dots}`] : [])].join(' | ');
  if (!d.profile) return `(${hosts})`;
  const prof = `--profile NAME [--config FILE] [${hosts}]`;
  return d.endpoint ? `(${prof} | --endpoint URL)` : prof;
}

export interface Target {
  kind: 'ssh' | 'local' | 'sim';
  /** The alias, "local", or "sim" ("sim:NAME" when several simulated hosts are checked at once). */
  name: string;
  /** The simulated host's folder (--sim). */
  simRoot?: string;
  open(): Promise<Transport>;
  /** Flags that reach the same host again: --host A [--ssh-config F] [--known-hosts K] | --local | --sim DIR. */
  args: string[];
}

export interface TargetContext {
  where: TargetValues;
  globals: GlobalValues;
  io: CliIO;
}

/** --ssh-config / --known-hosts as given: a hint for an SSH host needs them to find the same host and key. */
export function sshArgs(g: GlobalValues): string[] {
  return [...(g['ssh-config'] ? ['--ssh-config', g['ssh-config']] : []), ...(g['known-hosts'] ? ['--known-hosts', g['known-hosts']] : [])];
}

/** `keepalive`: keepalive interval (ms, 3 missed = link lost) when the ssh_config sets none. */
export function sshTarget(alias: string, ctx: TargetContext, keepalive?: number): Target {
  return {
    kind: 'ssh',
    name: alias,
    args: ['--host', alias, ...sshArgs(ctx.globals)],
    open: async () => {
      // Loaded lazily so --local runs never load ssh2.
      const { openSshTarget } = await import('./ssh-target');
      return openSshTarget(alias, ctx.globals, ctx.io.stderr, keepalive !== undefined ? { keepaliveIntervalMs: keepalive, keepaliveCountMax: 3 } : {});
    },
  };
}

export function localTarget(): Target {
  return { kind: 'local', name: 'local', args: ['--local'], open: async () => new LocalTransport() };
}

function simTarget(dir: string, mode: 'env' | 'root', name: string, ctx: TargetContext): Target {
  const root = path.resolve(ctx.io.cwd, dir);
  let env: Record<string, string> | undefined;
  try {
    readSimConfig(root);
    if (mode === 'env') env = simExecEnv(root, ctx.io.env);
  } catch (e) {
    throw new UsageError(l10n.t('{0} is not a simulated host (run `ascend-adapt sim create {0}` first): {1}', root, (e as Error).message));
  }
  // 'root': a plain local transport; the job wraps its argv to source DIR/env.sh (see serving/command.ts).
  const open = async () => (env ? new LocalTransport(name, env) : new LocalTransport());
  return { kind: 'sim', name, simRoot: root, args: ['--sim', dir], open };
}

function countGiven(w: TargetValues): number {
  return [w.host.length > 0, w.local, w.sim.length > 0].filter(Boolean).length;
}

/** --host ALIAS… | --local | --sim DIR… → targets; exactly one kind must be given. */
export function resolveHosts(ctx: TargetContext, d: TargetDecl): Target[] {
  const w = ctx.where;
  if (countGiven(w) > 1) throw new UsageError(d.sim ? l10n.t('use only one of --sim, --local and --host') : l10n.t('--local and --host cannot be used together'));
  if (countGiven(w) === 0) throw new UsageError(d.sim ? l10n.t('say where to run: --host ALIAS, --local or --sim DIR') : l10n.t('say where to run: --host ALIAS or --local'));
  if (w.local) return [localTarget()];
  if (w.sim.length) {
    return w.sim.map((dir) => simTarget(dir, d.sim ?? 'env', w.sim.length > 1 ? `sim:${path.basename(path.resolve(ctx.io.cwd, dir))}` : 'sim', ctx));
  }
  return w.host.map((alias) => sshTarget(alias, ctx));
}

export interface ProfileTarget {
  /** The profile, with simRoot set when --sim was given. */
  profile: NamedProfile;
  target: Target;
  /** Flags that pick the same profile on the same host again. */
  args: string[];
}

/** --profile NAME [--config FILE] alone: the profile and the flags that pick it again (no host resolved). */
export function loadProfile(ctx: TargetContext): { profile: NamedProfile; args: string[] } {
  const w = ctx.where;
  if (!w.profile) throw new UsageError(l10n.t('say which profile: --profile NAME'));
  const file = configPath(ctx.io.cwd, w.config);
  try {
    return { profile: getProfile(loadConfigFile(file), w.profile, file), args: ['--profile', w.profile, ...(w.config ? ['--config', w.config] : [])] };
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}

/** --profile NAME [--config FILE]; the host is --host/--local/--sim when given, else the profile's own "host". */
export function resolveProfile(ctx: TargetContext, d: TargetDecl): ProfileTarget {
  const w = ctx.where;
  const loaded = loadProfile(ctx);
  let profile = loaded.profile;
  const profileArgs = loaded.args;
  if (countGiven(w) > 0) {
    const target = resolveHosts(ctx, d)[0]!;
    if (target.simRoot) profile = { ...profile, simRoot: target.simRoot };
    return { profile, target, args: [...profileArgs, ...target.args] };
  }
  // A multi-node profile is reached through its head (node 0): its API, its simulated host.
  const head = profile.nodes?.[0];
  if (head && !profile.host) profile = { ...profile, host: head.host, ...(head.simRoot ? { simRoot: head.simRoot } : {}) };
  if (!profile.host) throw new UsageError(l10n.t('profile "{0}" names no host: add "host" to it, or give --host ALIAS, --local or --sim DIR', profile.name));
  const target = profile.host === 'local' ? localTarget() : sshTarget(profile.host, ctx);
  return { profile, target, args: [...profileArgs, ...(target.kind === 'ssh' ? sshArgs(ctx.globals) : [])] };
}

/** --endpoint URL, checked (http or https) and without a trailing slash. */
export function endpointUrl(w: TargetValues): string {
  const given = w.endpoint ?? '';
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(l10n.t('--endpoint wants a URL like http://127.0.0.1:8000, got {0}', JSON.stringify(given)));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(l10n.t('--endpoint wants an http:// URL, got {0}', given));
  return given.replace(/\/+$/, '');
}

/** Exactly one of --profile and --endpoint (commands that take either). */
export function profileOrEndpoint(w: TargetValues): 'profile' | 'endpoint' {
  if ((w.endpoint === undefined) === (w.profile === undefined)) throw new UsageError(l10n.t('give either --profile NAME or --endpoint URL'));
  return w.profile !== undefined ? 'profile' : 'endpoint';
}

/** Where a job that measures --endpoint runs: --host/--local/--sim when given, else this machine. */
export function endpointHost(ctx: TargetContext, d: TargetDecl): Target {
  return countGiven(ctx.where) > 0 ? resolveHosts(ctx, d)[0]! : localTarget();
}

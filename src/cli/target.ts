import * as l10n from '@vscode/l10n';
import { LocalTransport } from '../core/transport/local';
import type { Transport } from '../core/transport/transport';
import { UsageError } from './command';

/** The values of `hostOptions` after parsing. */
export interface TargetValues {
  host?: string[];
  local?: boolean;
  'ssh-config'?: string;
  'known-hosts'?: string;
  'accept-new'?: boolean;
}

export interface Target {
  /** The alias (or "local"). */
  name: string;
  open(): Promise<Transport>;
}

/**
 * `--local` or one or more `--host ALIAS` → targets. SSH targets are opened by the host layer
 * (src/core/hosts), loaded lazily so `--local` runs never load ssh2.
 */
export function targetsFrom(values: TargetValues, opts: { multiple?: boolean } = {}): Target[] {
  const hosts = values.host ?? [];
  if (values.local && hosts.length > 0) throw new UsageError(l10n.t('--local and --host cannot be used together'));
  if (values.local) return [{ name: 'local', open: async () => new LocalTransport() }];
  if (hosts.length === 0) throw new UsageError(l10n.t('say where to run: --host ALIAS or --local'));
  if (hosts.length > 1 && !opts.multiple) throw new UsageError(l10n.t('this command takes one --host'));
  return hosts.map((alias) => ({
    name: alias,
    open: async () => {
      const { openSshTarget } = await import('./ssh-target');
      return openSshTarget(alias, values);
    },
  }));
}

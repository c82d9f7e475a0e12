import * as l10n from '@vscode/l10n';
import { SshConfigFile } from '../core/hosts/ssh-config';
import { SshTransport, type SshCallbacks, type SshTransportOptions } from '../core/transport/ssh';
import type { Transport } from '../core/transport/transport';
import type { GlobalValues, Out } from './command';

/**
 * `--host ALIAS` → a connected ssh transport. ALIAS is resolved through the ssh_config (`--ssh-config`,
 * default ~/.ssh/config); the host key is checked against `--known-hosts` (default: the ssh_config's /
 * OpenSSH's files). An unknown host is refused unless `--accept-new` (then its key is appended, as
 * OpenSSH's accept-new does); a changed key is always refused, naming the file and line. Passphrases
 * and passwords are asked on the terminal (never echoed, never printed); without a terminal, none.
 */
export async function openSshTarget(alias: string, values: GlobalValues, stderr: Out = process.stderr, extra: Pick<SshTransportOptions, 'keepaliveIntervalMs' | 'keepaliveCountMax'> = {}): Promise<Transport> {
  const cfg = SshConfigFile.load(values['ssh-config']);
  const host = cfg.resolve(alias);
  const kh = values['known-hosts'];
  const callbacks: SshCallbacks = {
    onHostKeyAdded: (info) => {
      stderr.write(l10n.t('Permanently added {0} ({1} {2}) to {3}:{4}', info.hostField, info.keyType, info.fingerprint, info.knownHostsFile, String(info.line)) + '\n');
    },
    askPassphrase: async ({ keyPath, attempt }) =>
      askHidden(attempt > 1 ? l10n.t('Wrong passphrase. Passphrase for {0}: ', keyPath) : l10n.t('Passphrase for {0}: ', keyPath)),
    askPassword: async ({ user, host: h, attempt, prompt }) =>
      askHidden(attempt > 1 ? l10n.t('Permission denied, try again. {0}@{1} password: ', user, h) : prompt ?? l10n.t('{0}@{1} password: ', user, h)),
  };
  const t = new SshTransport(host, {
    callbacks,
    knownHosts: kh ? { files: [kh], writeFile: kh, acceptNew: values['accept-new'] } : { acceptNew: values['accept-new'] },
    reconnect: { maxAttempts: 5 },
    ...extra,
  });
  await t.connect();
  return t;
}

/** Read a line from the terminal without echo; undefined when there is no terminal. */
export async function askHidden(prompt: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return undefined;
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let buf = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (v: string | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      resolve(v);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(buf);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    stdin.on('data', onData);
  });
}

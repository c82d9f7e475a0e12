import * as l10n from '@vscode/l10n';
import { SshConfigFile } from '../../core/hosts/ssh-config';
import { parse } from '../args';
import type { CliCommand, CliIO } from '../command';

/** `ascend-adapt hosts`: the hosts configured in the ssh_config (aliases a person can pick). */
export const hostsCommand: CliCommand = {
  name: 'hosts',
  summary: () => l10n.t('list the SSH hosts configured in ~/.ssh/config'),
  usage: () => [
    l10n.t('Usage: ascend-adapt hosts [--ssh-config FILE] [--json]'),
    '',
    l10n.t('Lists Host aliases (Include honoured) with user, address, port and ProxyJump.'),
  ].join('\n'),
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parse(args, { 'ssh-config': { type: 'string' }, json: { type: 'boolean' } }, false);
    const hosts = SshConfigFile.load(values['ssh-config']).hosts();
    if (values.json) {
      io.stdout.write(JSON.stringify({ hosts }, null, 2) + '\n');
      return 0;
    }
    if (hosts.length === 0) {
      io.stderr.write(l10n.t('No hosts configured. Add a Host entry to ~/.ssh/config (or pass --ssh-config FILE).') + '\n');
      return 0;
    }
    const rows = hosts.map((h) => [h.alias, `${h.user}@${h.hostname}:${h.port}`, h.proxyJump ?? '']);
    const head = [l10n.t('ALIAS'), l10n.t('ADDRESS'), l10n.t('VIA')];
    const w = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
    return 0;
  },
};

import * as l10n from '@vscode/l10n';
import { SshConfigFile } from '../../core/hosts/ssh-config';
import { defineCommand } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';

/** `ascend-adapt hosts`: the hosts configured in the ssh_config (aliases a person can pick). */
export const hostsCommand = defineCommand({
  name: 'hosts',
  summary: () => l10n.t('list the SSH hosts configured in ~/.ssh/config'),
  description: () => [l10n.t('Lists Host aliases (Include honoured) with user, address, port and ProxyJump.')],
  options: { json: opt.flag(() => l10n.t('print the hosts as JSON on stdout')) },
  async run({ values, globals, io }) {
    const hosts = SshConfigFile.load(globals['ssh-config']).hosts();
    if (values.json) {
      io.stdout.write(JSON.stringify({ hosts }, null, 2) + '\n');
      return 0;
    }
    if (hosts.length === 0) {
      io.stderr.write(l10n.t('No hosts configured. Add a Host entry to ~/.ssh/config (or pass --ssh-config FILE).') + '\n');
      return 0;
    }
    const rows = hosts.map((h) => [h.alias, `${h.user}@${h.hostname}:${h.port}`, h.proxyJump ?? '']);
    io.stdout.write(formatTable([[l10n.t('ALIAS'), l10n.t('ADDRESS'), l10n.t('VIA')], ...rows]));
    return 0;
  },
});

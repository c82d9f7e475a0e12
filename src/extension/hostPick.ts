import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { HostTarget, Hosts } from './hosts';
import { stateWord } from './views/hosts';

/** Choosing the host a command acts on. */

export async function pickHost(hosts: Hosts, placeHolder: string, filter: (h: HostTarget) => boolean = () => true): Promise<HostTarget | undefined> {
  const list = (await hosts.list()).filter(filter);
  if (list.length === 0) {
    void vscode.window.showInformationMessage(l10n.t('No hosts to choose from. Add a Host to ~/.ssh/config, add one in the Hosts view, or create a simulated Atlas host.'));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    list.map((h) => ({
      label: h.name,
      description: [h.simulated ? l10n.t('SIMULATED') : '', h.address ?? ''].filter(Boolean).join(' · '),
      detail: h.kind === 'ssh' ? stateWord(hosts.state(h.id)) : undefined,
      host: h,
    })),
    { placeHolder, matchOnDescription: true },
  );
  return pick?.host;
}

/** The host a command acts on: the one it was given, else the active host, else the user's pick. */
export async function resolveHost(hosts: Hosts, hostId: string | undefined, placeHolder: string): Promise<HostTarget | undefined> {
  if (hostId) {
    const h = await hosts.get(hostId);
    if (!h) throw new Error(l10n.t('Unknown host {0}', hostId));
    return h;
  }
  const active = hosts.activeId;
  if (active) {
    const h = await hosts.get(active);
    if (h) return h;
  }
  return pickHost(hosts, placeHolder);
}

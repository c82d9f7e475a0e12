import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { HostTarget, Hosts } from './hosts';
import { stateWord } from './views/hosts';

/** Choosing the host a command acts on. */

/** The items of a host picker: the hosts, then "Add Host…" and (without one) "Create Simulated Atlas Host…". */
export function hostPickItems(hosts: Hosts, list: readonly HostTarget[], withActions: boolean): Array<vscode.QuickPickItem & { host?: HostTarget; command?: string }> {
  const items: Array<vscode.QuickPickItem & { host?: HostTarget; command?: string }> = list.map((h) => ({
    label: h.name,
    description: [h.simulated ? l10n.t('SIMULATED') : '', h.address ?? ''].filter(Boolean).join(' · '),
    detail: h.kind === 'ssh' ? stateWord(hosts.state(h.id)) : undefined,
    host: h,
  }));
  if (!withActions) return items;
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: `$(add) ${l10n.t('Add Host…')}`, description: l10n.t('an Atlas server reached over SSH'), command: 'ascend.hosts.add' });
  if (!list.some((h) => h.kind === 'sim')) items.push({ label: `$(beaker) ${l10n.t('Create Simulated Atlas Host…')}`, description: l10n.t('SIMULATED'), command: 'ascend.sim.create' });
  return items;
}

/**
 * Picks a host; "Add Host…" and "Create Simulated Atlas Host…" are offered too (when the filter allows
 * that kind), and the host they make is the answer.
 */
export async function pickHost(hosts: Hosts, placeHolder: string, filter: (h: HostTarget) => boolean = () => true): Promise<HostTarget | undefined> {
  const list = (await hosts.list()).filter(filter);
  const pick = await vscode.window.showQuickPick(hostPickItems(hosts, list, true), { placeHolder, matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.host) return pick.host;
  if (!pick.command) return undefined;
  const id = await vscode.commands.executeCommand<string | undefined>(pick.command);
  return id ? ((await hosts.get(id)) ?? undefined) : undefined;
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

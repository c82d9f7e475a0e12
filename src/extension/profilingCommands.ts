import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { z } from 'zod';
import { uri } from './args';
import type { Commands } from './commands';
import type { Notifier } from './notify';
import type { Profiling } from './profiling';
import { requireTrust } from './trust';
import type { Views } from './views';
import { ProfileNode } from './views/profile';

/**
 * "Ascend: Profile Serving", the Profile view and its rows' commands: open a run, stop it, copy or download a
 * rank's timeline, summarise a profiler folder on this machine, clear finished runs. Arguments are parsed
 * with zod: a run is its key or a row of the view; a timeline is a row of the view or {key, index}.
 */

const text = z.string().trim().min(1);
export const profileArgs = z.strictObject({
  profile: text.optional(),
  numPrompts: z.number().int().min(1).max(1000).optional(),
  inputLen: z.number().int().min(1).optional(),
  outputLen: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).max(1024).optional(),
  withStack: z.boolean().optional(),
  restart: z.boolean().optional(),
});

const runArg = z.union([text, z.object({ tracked: z.object({ key: text }) }).transform((n) => n.tracked.key)]);
const traceArg = z.union([
  z.object({ tracked: z.object({ key: text }), traceIndex: z.number().int().min(0) }).transform((n) => ({ key: n.tracked.key, index: n.traceIndex })),
  z.strictObject({ key: text, index: z.number().int().min(0) }),
]);

export interface ProfilingFeature {
  profiling: Profiling;
  views: Views;
  notifier: Notifier;
}

export function registerProfilingCommands(commands: Commands, d: ProfilingFeature): vscode.Disposable {
  const tree = d.views.trees['ascend.profile'];
  tree.setRoots(() => d.profiling.all().map((t) => new ProfileNode(t, d.profiling.isRunning(t.key))));
  const view = d.views.views['ascend.profile'];
  const subs: vscode.Disposable[] = [d.profiling.onDidChange(() => tree.refresh()), view.onDidChangeVisibility((e) => e.visible && void d.profiling.resume())];
  if (view.visible) void d.profiling.resume();

  commands.register('ascend.profile.start', [profileArgs.optional()], async (a) => {
    requireTrust(l10n.t('Profile Serving'));
    const { profile, ...spec } = a ?? {};
    const key = await d.profiling.start({ profile, spec });
    if (key) void vscode.commands.executeCommand('ascend.profile.focus');
    return key;
  });
  commands.register('ascend.profile.open', [runArg], (key) => d.profiling.open(key));
  commands.register('ascend.profile.stop', [runArg], (key) => d.profiling.stop(key));
  commands.register('ascend.profile.copyTracePath', [traceArg], (t) => d.profiling.copyTracePath(t.key, t.index));
  commands.register('ascend.profile.downloadTrace', [traceArg, uri.optional()], (t, target) => d.profiling.downloadTrace(t.key, t.index, target));
  commands.register('ascend.profile.summarizeFolder', [uri.optional()], async (given) => {
    const folder = given ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: l10n.t('Summarise Profile') }))?.[0];
    if (!folder) return undefined;
    return d.profiling.summarizeFolder(folder.fsPath);
  });
  commands.register('ascend.profile.clearFinished', [], () => d.profiling.clearFinished());
  return vscode.Disposable.from(...subs);
}

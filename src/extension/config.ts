import * as vscode from 'vscode';

/**
 * Every setting of the extension, typed and validated in ONE place. package.json `contributes.configuration`
 * declares the same keys for the Settings UI; this schema is what the code trusts. A bad value (hand-edited
 * settings.json) falls back to the default and is reported once, naming the setting.
 */
export { SECTION, settingsSchema, type Settings } from './settings';
import { SECTION, settingsSchema, type Settings } from './settings';

type Key = keyof Settings;

const keys = Object.keys(settingsSchema.shape) as Key[];

export interface SettingsProblem {
  key: string;
  message: string;
}

/** Reads and validates the settings; invalid values are replaced by their defaults and reported. */
export function readSettings(cfg: Pick<vscode.WorkspaceConfiguration, 'get'> = vscode.workspace.getConfiguration(SECTION)): {
  settings: Settings;
  problems: SettingsProblem[];
} {
  const problems: SettingsProblem[] = [];
  const raw: Record<string, unknown> = {};
  for (const k of keys) {
    const v = cfg.get<unknown>(k);
    if (v === undefined) continue;
    const field = settingsSchema.shape[k];
    const r = field.safeParse(v);
    if (r.success) raw[k] = r.data;
    else problems.push({ key: `${SECTION}.${k}`, message: r.error.issues.map((i) => i.message).join('; ') });
  }
  return { settings: settingsSchema.parse(raw), problems };
}

/** Current settings plus change notifications, owned by the extension context. */
export class Config implements vscode.Disposable {
  private current: Settings;
  private readonly emitter = new vscode.EventEmitter<Settings>();
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly report: (p: SettingsProblem[]) => void) {
    const { settings, problems } = readSettings();
    this.current = settings;
    if (problems.length) report(problems);
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const next = readSettings();
      this.current = next.settings;
      if (next.problems.length) this.report(next.problems);
      this.emitter.fire(this.current);
    });
  }

  get settings(): Settings {
    return this.current;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

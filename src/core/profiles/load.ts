import * as fs from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import type { z } from 'zod';
import { configSchema, type AscendAdaptConfig, type NamedProfile } from './schema';

export const CONFIG_FILE_NAME = 'ascend-adapt.json';

/** A bad config file: the message names the file and every field that is wrong. */
export class ConfigError extends Error {
  constructor(message: string, readonly file: string, readonly problems: string[] = []) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `profiles.a.port: Too big …` — one line per zod issue, naming the field by its path. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const where = i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(root)';
    return `${where}: ${i.message}`;
  });
}

/** Parse the text of ascend-adapt.json. Throws ConfigError (never a raw exception) on bad input. */
export function parseConfig(text: string, file = CONFIG_FILE_NAME): AscendAdaptConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError(l10n.t('{0} is not valid JSON: {1}', file, (e as Error).message), file);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const problems = describeIssues(r.error.issues);
    throw new ConfigError(l10n.t('{0} has errors:\n{1}', file, problems.map((p) => `  ${p}`).join('\n')), file, problems);
  }
  return r.data;
}

export function loadConfigFile(file: string): AscendAdaptConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(l10n.t('{0} not found (create it with a "profiles" object)', file), file);
    throw new ConfigError(l10n.t('cannot read {0}: {1}', file, (e as Error).message), file);
  }
  return parseConfig(text, file);
}

export function profileNames(config: AscendAdaptConfig): string[] {
  return Object.keys(config.profiles);
}

export function getProfile(config: AscendAdaptConfig, name: string, file = CONFIG_FILE_NAME): NamedProfile {
  const p = config.profiles[name];
  if (!p) {
    const names = profileNames(config);
    throw new ConfigError(
      names.length
        ? l10n.t('no profile "{0}" in {1} (profiles: {2})', name, file, names.join(', '))
        : l10n.t('no profile "{0}" in {1} (it has no profiles yet)', name, file),
      file,
    );
  }
  return { name, ...p };
}

/** Resolve `--config FILE` (default ./ascend-adapt.json) against the working directory. */
export function configPath(cwd: string, given?: string): string {
  return path.resolve(cwd, given ?? CONFIG_FILE_NAME);
}

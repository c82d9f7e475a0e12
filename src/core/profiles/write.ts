import * as fs from 'node:fs';
import * as l10n from '@vscode/l10n';
import { ConfigError, describeIssues, parseConfig } from './load';
import { profileSchema, type ProfileInput } from './schema';

/**
 * Add or replace one profile in ascend-adapt.json (e.g. the first profile "Ascend: Start Serving" builds
 * from the user's answers). Other profiles and other top-level sections are kept as written; only what the
 * user gave is stored (defaults stay implicit). The new profile is validated first; a file that does not
 * parse is left untouched and reported.
 */
export function upsertProfile(file: string, name: string, profile: ProfileInput, opts: { schemaRef?: string } = {}): void {
  if (!/^[^\s]+$/.test(name)) throw new ConfigError(l10n.t('profile names cannot contain spaces: "{0}"', name), file);
  const check = profileSchema.safeParse(profile);
  if (!check.success) {
    const problems = describeIssues(check.error.issues).map((p) => `profiles.${name}.${p}`);
    throw new ConfigError(l10n.t('{0} has errors:\n{1}', file, problems.map((p) => `  ${p}`).join('\n')), file, problems);
  }
  let raw: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    parseConfig(text, file); // throws a ConfigError naming the problems; the file is not touched
    raw = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  }
  const profiles = { ...((raw.profiles as Record<string, unknown> | undefined) ?? {}), [name]: profile };
  const next: Record<string, unknown> = {};
  if (raw.$schema !== undefined || opts.schemaRef) next.$schema = raw.$schema ?? opts.schemaRef;
  Object.assign(next, raw, { profiles });
  const text = JSON.stringify(next, null, 2) + '\n';
  parseConfig(text, file);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

import * as l10n from '@vscode/l10n';
import type { CliCommand, GroupCommand, LeafCommand } from './command';
import { describeNumber, opt, orList, type OptionDecl, type OptionDecls } from './options';
import { formatTable } from './table';
import { targetOptions, targetSynopsis } from './target';

/** Accepted before or after the command word. */
export const GLOBAL_OPTIONS = {
  help: opt.flag(() => l10n.t('show help (also after a command)'), 'h'),
  lang: opt.string({ metavar: 'en|zh-CN', help: () => l10n.t('language of messages (default: from LANG)') }),
  'ssh-config': opt.string({ metavar: 'FILE', help: () => l10n.t('ssh_config to read host aliases from (default ~/.ssh/config)') }),
  'known-hosts': opt.string({ metavar: 'FILE', help: () => l10n.t('known_hosts file to check host keys against (default: OpenSSH\'s)') }),
  'accept-new': opt.flag(() => l10n.t('trust an unknown host key and add it to known_hosts (a changed key is always refused)')),
} satisfies OptionDecls;

const GENERAL_EXIT = () => l10n.t('Exit codes: 0 ok, 1 a check failed, 2 bad usage or bad input.');

/** Every option a leaf command accepts: its own, where it runs, and the global ones. */
export function leafOptions(c: LeafCommand): OptionDecls {
  return { ...GLOBAL_OPTIONS, ...(c.target ? targetOptions(c.target) : {}), ...c.options };
}

function flagText(name: string, d: OptionDecl): string {
  const short = d.short ? `, -${d.short}` : '';
  if (d.kind === 'flag') return `--${name}${short}`;
  const meta = d.metavar ?? (d.kind === 'string' && d.choices ? d.choices.join('|') : d.kind === 'string' ? 'TEXT' : 'N');
  return `--${name} ${meta}${d.kind === 'int-list' ? ',…' : ''}${short}`;
}

/** The help line of one option: its text, what values it takes, its default, whether it repeats. */
function helpText(d: OptionDecl): string {
  const notes: string[] = [];
  if (d.kind === 'int' || d.kind === 'float' || d.kind === 'int-list') notes.push(describeNumber(d));
  if (d.kind === 'string' && d.choices) notes.push(orList(d.choices));
  if ('default' in d && d.default !== undefined) notes.push(l10n.t('default {0}', String(d.default)));
  if ('repeat' in d && d.repeat) notes.push(l10n.t('repeatable'));
  return notes.length ? l10n.t('{0} ({1})', d.help(), notes.join(l10n.t('; '))) : d.help();
}

function optionRows(decls: OptionDecls): string[][] {
  return Object.entries(decls).map(([k, d]) => [flagText(k, d), helpText(d)]);
}

function section(title: string, decls: OptionDecls): string[] {
  return Object.keys(decls).length ? [title, formatTable(optionRows(decls), { indent: '  ' }).trimEnd(), ''] : [];
}

export function usageLine(words: string[], c: LeafCommand): string {
  const parts = ['ascend-adapt', ...words];
  if (c.target) parts.push(targetSynopsis(c.target));
  if (c.synopsis) parts.push(c.synopsis);
  if (c.positionals) parts.push(c.positionals.usage);
  parts.push(l10n.t('[options]'));
  if (c.argv) parts.push(c.argv === true ? '-- CMD [ARG…]' : c.argv);
  return parts.join(' ');
}

/** `ascend-adapt WORDS --help`, built from the command's declarations. */
export function leafHelp(words: string[], c: LeafCommand): string {
  const { help: _h, lang: _l, ...globals } = GLOBAL_OPTIONS;
  const lines = [l10n.t('Usage: {0}', usageLine(words, c)), '', c.summary()];
  if (c.description) lines.push('', ...c.description());
  lines.push('', ...section(l10n.t('Options:'), c.options));
  if (c.target) lines.push(...section(l10n.t('Where it runs:'), targetOptions(c.target)));
  lines.push(...section(l10n.t('Global options:'), globals), (c.exitCodes ?? GENERAL_EXIT)());
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

export function groupHelp(g: GroupCommand): string {
  if (g.default) {
    const subs = formatTable(g.subcommands.map((s) => [`  ${s.name}`, s.summary()])).trimEnd();
    const more = g.subcommands.map((s) => `       ${usageLine([g.name, s.name], s)}`);
    const [usage, ...rest] = leafHelp([g.name], g.default).split('\n');
    return [usage, ...more, ...rest.slice(0, 2), l10n.t('Subcommands:'), subs, l10n.t('More: ascend-adapt {0} SUBCOMMAND --help', g.name), ...rest.slice(2)].join('\n');
  }
  const lines = [
    ...g.subcommands.map((s, i) => (i === 0 ? l10n.t('Usage: {0}', usageLine([g.name, s.name], s)) : `       ${usageLine([g.name, s.name], s)}`)),
    '',
    g.summary(),
    ...(g.description ? ['', ...g.description()] : []),
    '',
    formatTable(g.subcommands.map((s) => [`  ${s.name}`, s.summary()])).trimEnd(),
    '',
    l10n.t('More: ascend-adapt {0} SUBCOMMAND --help', g.name),
  ];
  return lines.join('\n') + '\n';
}

export function mainHelp(commands: readonly CliCommand[]): string {
  const lines = [
    l10n.t('ascend-adapt — validate LLM ports to Huawei Ascend NPUs (vLLM-Ascend)'),
    '',
    l10n.t('Usage: ascend-adapt <command> [options]'),
    '',
    l10n.t('Commands:'),
    formatTable(commands.map((c) => [c.name, c.summary()]), { indent: '  ' }).trimEnd(),
    '',
    l10n.t('Global options:'),
    formatTable([['--version, -V', l10n.t('print the version')], ...optionRows(GLOBAL_OPTIONS)], { indent: '  ' }).trimEnd(),
    '',
    l10n.t('More: ascend-adapt COMMAND --help'),
    GENERAL_EXIT(),
  ];
  return lines.join('\n') + '\n';
}

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as l10n from '@vscode/l10n';
import { currentLanguage, inLanguage, langOf, parseLang, pick, translator } from '../../src/core/l10n';
import { KNOWN_ERRORS, localize } from '../../src/core/knowledge/errors';
import { renderMarkdown } from '../../src/core/report/markdown';
import { runCli } from '../harness/cli';
import { tsFiles } from '../harness/files';

// One translation path: the language of a call is the caller's (inLanguage / a face's language set once),
// never a process-wide switch, so two languages render side by side in one process.
const root = path.resolve(__dirname, '..', '..');
const report = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/report/fixture_report.json'), 'utf8'));

describe('one l10n path, language passed explicitly', () => {
  it('one language code: zh-CN, from any spelling; unknown languages are undefined', () => {
    for (const v of ['zh-CN', 'zh-cn', 'zh', 'zh_CN.UTF-8', 'ZH-hans']) assert.equal(parseLang(v), 'zh-CN', v);
    for (const v of ['en', 'en-US', 'en_GB.UTF-8', 'C', 'C.UTF-8', 'POSIX']) assert.equal(parseLang(v), 'en', v);
    for (const v of ['fr', 'de-DE', '', 'zhx']) assert.equal(parseLang(v), undefined, v);
    assert.equal(langOf('fr'), 'en');
  });

  it('renders a zh-CN report and an English CLI message at the same time, without touching the process language', async () => {
    assert.equal(currentLanguage(), 'en');
    const [zhReport, enHelp, zhHelp] = await Promise.all([
      Promise.resolve().then(() => renderMarkdown(report, { lang: 'zh-CN' })),
      runCli(['--help'], { env: { ...process.env, LANG: 'en_US.UTF-8', ASCEND_ADAPT_LANG: '' } }),
      runCli(['--lang', 'zh-CN', '--help'], { env: { ...process.env, LANG: 'en_US.UTF-8', ASCEND_ADAPT_LANG: '' } }),
    ]);
    assert.match(zhReport, /验证报告/);
    assert.match(enHelp.out, /Usage: ascend-adapt <command>/);
    assert.doesNotMatch(enHelp.out, /用法/);
    assert.match(zhHelp.out, /用法/);
    assert.equal(currentLanguage(), 'en', 'the process language never moved');
    assert.equal(l10n.t('Usage: ascend-adapt <command> [options]'), 'Usage: ascend-adapt <command> [options]');
  });

  it('inLanguage holds across awaits and timers, and interleaved calls keep their own language', async () => {
    const usage = 'Usage: ascend-adapt <command> [options]';
    const zhUsage = translator('zh-CN').tr(usage);
    assert.notEqual(zhUsage, usage);
    const seen: string[] = [];
    const run = (lang: 'en' | 'zh-CN', tag: string) =>
      inLanguage(lang, async () => {
        for (let i = 0; i < 3; i++) {
          await sleep(1);
          await new Promise<void>((r) => setImmediate(r));
          seen.push(`${tag}:${l10n.t(usage) === (lang === 'en' ? usage : zhUsage)}`);
        }
        return currentLanguage();
      });
    const langs = await Promise.all([run('zh-CN', 'a'), run('en', 'b'), inLanguage('zh-CN', () => run('en', 'c'))]);
    assert.deepEqual(langs, ['zh-CN', 'en', 'en']);
    assert.equal(seen.length, 9);
    assert.ok(seen.every((s) => s.endsWith(':true')), seen.join(' '));
  });

  it('bilingual knowledge data follows the same language, or the one named', () => {
    const row = KNOWN_ERRORS[0];
    assert.equal(localize(row).title, row.title.en);
    assert.equal(inLanguage('zh-CN', () => localize(row).title), row.title.zh);
    assert.equal(inLanguage('zh-CN', () => localize(row, 'en').title), row.title.en);
    assert.equal(inLanguage('zh-CN', () => pick({ en: 'a', zh: '甲' })), '甲');
  });

  it('stored English text is translated when rendered, through the same dictionary', () => {
    const t = translator('zh-CN');
    // A report's own string and a core message the environment check stored (its template filled in).
    assert.equal(t.tr('Validation passed'), inLanguage('zh-CN', () => l10n.t('Validation passed')));
    assert.notEqual(t.tr('Validation passed'), 'Validation passed');
    assert.equal(t.data('Same versions on 2 nodes, but different device counts (8, 16).'), '2 个节点版本一致，但设备数量不同（8, 16）。');
  });

  it('no other language code, no process-wide switch in src/', () => {
    const offenders: string[] = [];
    for (const f of tsFiles(path.join(root, 'src'))) {
      const text = fs.readFileSync(f, 'utf8');
      const rel = path.relative(root, f);
      if (/['"]zh-cn['"]/.test(text)) offenders.push(`${rel}: 'zh-cn' (the code's language is 'zh-CN')`);
      if (/\bl10n\.config\(/.test(text) && rel !== path.join('src', 'core', 'l10n.ts')) offenders.push(`${rel}: l10n.config (only core/l10n.ts configures @vscode/l10n)`);
      // The process language is set once, where a face starts: the language server's initialize and the
      // extension's activation (the CLI scopes each run with inLanguage).
      if (/\bsetProcessLanguage\(/.test(text) && !/^src[/\\](core[/\\]l10n|server[/\\]server|extension[/\\])/.test(rel)) offenders.push(`${rel}: setProcessLanguage`);
    }
    assert.deepEqual(offenders, []);
  });
});

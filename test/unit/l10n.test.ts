import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { getL10nJson } from '@vscode/l10n-dev';

// Every user-facing string exists in English and 简体中文: each l10n.t / vscode.l10n.t literal in src/ has a
// zh-CN translation in some l10n/zh-cn/*.json fragment, with the same {n} placeholders; every %key% in
// package.json is in package.nls.json and package.nls.zh-cn.json.
const root = path.resolve(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function zhBundle(): Record<string, string> {
  const dir = path.join(root, 'l10n', 'zh-cn');
  const merged: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    Object.assign(merged, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, string>);
  }
  return merged;
}

const placeholders = (s: string) => [...s.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort().join(',');

describe('localisation (en + zh-CN)', () => {
  it('translates every l10n.t string in src/', async () => {
    const files = tsFiles(path.join(root, 'src'));
    const found = await getL10nJson(files.map((f) => ({ extension: '.ts', contents: fs.readFileSync(f, 'utf8') })));
    const zh = zhBundle();
    const missing = Object.keys(found).filter((k) => !(k in zh));
    assert.deepEqual(missing, [], `missing zh-CN translations (add them to l10n/zh-cn/<area>.json):\n${missing.join('\n')}`);
    const mismatched = Object.keys(found).filter((k) => placeholders(k) !== placeholders(zh[k]));
    assert.deepEqual(mismatched, [], 'translations with different {n} placeholders');
  });

  it('has package.nls entries for every %key% in package.json, in both languages', () => {
    const pkgText = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    const keys = [...new Set([...pkgText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]))];
    if (keys.length === 0) return;
    const en = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const zh = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(keys.filter((k) => !(k in en)), [], 'missing in package.nls.json');
    assert.deepEqual(keys.filter((k) => !(k in zh)), [], 'missing in package.nls.zh-cn.json');
  });
});

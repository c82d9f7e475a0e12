import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { getL10nJson } from '@vscode/l10n-dev';
import ts from 'typescript';
import { tsFiles } from '../harness/files';

// Every user-facing string exists in English and 简体中文, through the one dictionary (l10n/zh-cn/*.json):
// each l10n.t / vscode.l10n.t literal in src/ and each literal of the explicit-language forms
// (translator(lang).tr('…'), en('…') for stored English) has a zh-CN translation with the same {n}
// placeholders, and those forms are only ever called with a literal; every %key% in package.json is in
// package.nls.json and package.nls.zh-cn.json.
const root = path.resolve(__dirname, '..', '..');

function zhBundle(): Record<string, string> {
  const dir = path.join(root, 'l10n', 'zh-cn');
  const merged: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    Object.assign(merged, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, string>);
  }
  return merged;
}

const placeholders = (s: string) => [...s.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort().join(',');

/** Calls of `x.tr(…)` and `en(…)`: their first argument, or null when it is not a literal. */
function explicitCalls(file: string): Array<{ where: string; literal: string | null }> {
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Array<{ where: string; literal: string | null }> = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n)) {
      const c = n.expression;
      const isTr = ts.isPropertyAccessExpression(c) && c.name.text === 'tr';
      const isEn = ts.isIdentifier(c) && c.text === 'en';
      if (isTr || isEn) {
        const a = n.arguments[0];
        const line = src.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        out.push({ where: `${path.relative(root, file)}:${line}`, literal: a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) ? a.text : null });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

describe('localisation (en + zh-CN)', () => {
  it('translates every l10n.t string in src/', async () => {
    const files = tsFiles(path.join(root, 'src'));
    const found = await getL10nJson(files.map((f) => ({ extension: '.ts', contents: fs.readFileSync(f, 'utf8') })));
    const zh = zhBundle();
    assert.ok(Object.keys(found).length > 500, `only ${Object.keys(found).length} strings found`);
    const missing = Object.keys(found).filter((k) => !(k in zh));
    assert.deepEqual(missing, [], `missing zh-CN translations (add them to l10n/zh-cn/<area>.json):\n${missing.join('\n')}`);
    const mismatched = Object.keys(found).filter((k) => placeholders(k) !== placeholders(zh[k]));
    assert.deepEqual(mismatched, [], 'translations with different {n} placeholders');
  });

  it('translates every tr() / en() literal in src/, and they only take literals', () => {
    const zh = zhBundle();
    const calls = tsFiles(path.join(root, 'src')).flatMap(explicitCalls);
    assert.ok(calls.length > 100, `only ${calls.length} calls found`);
    assert.deepEqual(calls.filter((c) => c.literal === null).map((c) => c.where), [], 'tr()/en() with a non-literal first argument cannot be extracted');
    const missing = calls.filter((c) => c.literal !== null && !(c.literal in zh)).map((c) => `${c.where}: ${c.literal}`);
    assert.deepEqual(missing, [], 'missing zh-CN translations');
    const mismatched = calls.filter((c) => c.literal !== null && c.literal in zh && placeholders(c.literal) !== placeholders(zh[c.literal])).map((c) => c.where);
    assert.deepEqual(mismatched, [], 'translations with different {n} placeholders');
  });

  it('has package.nls entries for every %key% in package.json, in both languages', () => {
    const pkgText = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    const keys = [...new Set([...pkgText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]))];
    assert.ok(keys.length > 10, `only ${keys.length} %keys% found`);
    const en = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const zh = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(keys.filter((k) => !(k in en)), [], 'missing in package.nls.json');
    assert.deepEqual(keys.filter((k) => !(k in zh)), [], 'missing in package.nls.zh-cn.json');
  });
});

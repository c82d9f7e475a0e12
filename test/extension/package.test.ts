import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LINT_SETTINGS } from '../../src/core/analysis/index';
import { settingsSchema } from '../../src/extension/settings';
import { tsFiles } from '../harness/files';

// package.json's contributions against the code: settings declared = settings validated (same defaults),
// commands contributed = commands registered, every referenced file present, lazy activation.
const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const C = pkg.contributes;

describe('package.json contributions', () => {
  it('declares exactly the settings config.ts validates, with the same defaults', () => {
    const declared = Object.keys(C.configuration.properties).map((k) => k.replace(/^ascendAdapt\./, '')).sort();
    assert.deepEqual(declared, Object.keys(settingsSchema.shape).sort());
    const defaults = settingsSchema.parse({}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(C.configuration.properties as Record<string, { default: unknown }>)) {
      assert.deepEqual(v.default, defaults[k.replace(/^ascendAdapt\./, '')], `default of ${k}`);
    }
  });

  it('gives the language-server settings the defaults the server uses', () => {
    const d = settingsSchema.parse({});
    assert.deepEqual(
      {
        enable: d['lint.enable'], include: d['lint.include'], exclude: d['lint.exclude'], chip: d['lint.chip'],
        longContextThreshold: d['lint.longContextThreshold'], maxFileSizeKB: d['lint.maxFileSizeKB'],
        torchNpuVersion: d['lint.torchNpuVersion'], extraPaths: d['lint.extraPaths'],
      },
      DEFAULT_LINT_SETTINGS,
    );
  });

  it('rejects bad setting values with a message naming the problem', () => {
    const r = settingsSchema.shape.hosts.safeParse([{ alias: 'a b', hostname: 'h' }]);
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0].message, /alias/);
  });

  it('registers every contributed command and contributes every registered one (no dead commands)', () => {
    const registered = new Set<string>();
    for (const f of tsFiles(path.join(root, 'src', 'extension'))) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bcommands\.register\(\s*'([^']+)'/g)) registered.add(m[1]);
    }
    const contributed = new Set<string>(C.commands.map((c: { command: string }) => c.command));
    assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], 'contributed but never registered');
    assert.deepEqual([...registered].filter((c) => !contributed.has(c)), [], 'registered but not contributed');
    for (const c of C.commands) {
      assert.equal(c.category, 'Ascend', c.command);
      assert.match(c.title, /^%cmd\.[\w.]+%$/, `${c.command} title is localised`);
    }
  });

  it('refers only to contributed commands from menus and welcome texts', () => {
    const contributed = new Set<string>(C.commands.map((c: { command: string }) => c.command));
    for (const [menu, items] of Object.entries(C.menus as Record<string, Array<{ command: string }>>)) {
      for (const i of items) assert.ok(contributed.has(i.command), `${menu}: ${i.command}`);
    }
    const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const zh = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
    for (const w of C.viewsWelcome) {
      const key = /^%(.+)%$/.exec(w.contents)?.[1];
      assert.ok(key, `welcome of ${w.view} is localised`);
      for (const text of [nls[key], zh[key]]) {
        for (const m of text.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(contributed.has(m[1]), `${key}: ${m[1]}`);
      }
      assert.equal([...nls[key].matchAll(/command:/g)].length, [...zh[key].matchAll(/command:/g)].length, `${key}: same links in both languages`);
    }
  });

  it('points at files that exist: icons, schemas, grammar', () => {
    for (const c of C.viewsContainers.activitybar) assert.ok(fs.existsSync(path.join(root, c.icon)), c.icon);
    for (const v of C.jsonValidation) {
      const f = path.join(root, v.url);
      assert.ok(fs.existsSync(f), v.url);
      JSON.parse(fs.readFileSync(f, 'utf8'));
    }
    for (const g of C.grammars) {
      const grammar = JSON.parse(fs.readFileSync(path.join(root, g.path), 'utf8'));
      assert.equal(grammar.scopeName, g.scopeName);
    }
  });

  it('activates lazily and accepts VS Code 1.100', () => {
    assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.includes('onStartupFinished'));
    assert.equal(pkg.engines.vscode, '^1.100.0');
    assert.equal(pkg.devDependencies['@types/vscode'], '1.100.0');
  });
});

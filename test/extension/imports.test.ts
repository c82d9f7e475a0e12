import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cycles, importsOf, tsFiles } from '../harness/module-graph';

// The extension is wired in one direction: activate builds services with explicit dependencies, so no
// module of src/extension imports one that (directly or not) imports it back. Every import counts —
// `import type`, `export … from`, dynamic import() — as a cycle of types is still a cycle of design.
const root = path.resolve(__dirname, '..', '..');

describe('extension module graph', () => {
  const files = tsFiles(path.join(root, 'src', 'extension'));

  it('finds the imports of every kind (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "export type B = string;\nexport const c = () => import('./c');\n");
      fs.writeFileSync(path.join(dir, 'c.ts'), "export { type A } from './a';\n");
      fs.writeFileSync(path.join(dir, 'd.ts'), "import './a';\n");
      const found = cycles(['a', 'b', 'c', 'd'].map((n) => path.join(dir, `${n}.ts`)));
      assert.equal(found.length, 1);
      assert.deepEqual(found[0].map((f) => path.basename(f)), ['a.ts', 'b.ts', 'c.ts']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no import cycle under src/extension', () => {
    assert.ok(files.length > 15, `only ${files.length} files`);
    assert.deepEqual(cycles(files), [], 'import cycles (each line is one cycle)');
  });

  it('wires from the top only: ctx.ts and the command modules are imported by extension.ts alone', () => {
    const top = /[/\\](?:extension|ctx|\w+Commands|evaluation)\.ts$/;
    const offenders: string[] = [];
    for (const f of files) {
      if (/[/\\]extension\.ts$/.test(f)) continue;
      for (const t of importsOf(f)) if (top.test(t)) offenders.push(`${path.relative(root, f)} → ${path.relative(root, t)}`);
    }
    assert.deepEqual(offenders, []);
  });

  it('shows errors only through the Notifier (so every error toast has Show Log)', () => {
    const offenders = files.filter((f) => !/[/\\]notify\.ts$/.test(f) && /\bshowErrorMessage\(/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
    assert.deepEqual(offenders, []);
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * House rule: no function in src/core longer than 120 lines (a long function is several that lost their
 * names). Functions, methods, arrows and constructors are measured from their first to their last line.
 */
const LIMIT = 120;

const coreDir = path.resolve(__dirname, '..', '..', 'src', 'core');
const cliDir = path.resolve(__dirname, '..', '..', 'src', 'cli');

function longFunctions(dir: string, limit: number): Array<{ where: string; lines: number }> {
  const out: Array<{ where: string; lines: number }> = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!rel.endsWith('.ts')) continue;
    const file = path.join(dir, rel);
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node) => {
      if (ts.isFunctionLike(n) && 'body' in n && n.body) {
        const first = sf.getLineAndCharacterOfPosition(n.getStart()).line;
        const last = sf.getLineAndCharacterOfPosition(n.end).line;
        const p = n.parent;
        const name = n.name?.getText() ?? ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p)) ? p.name.getText() : `<anonymous:${first + 1}>`);
        if (last - first + 1 > limit) out.push({ where: `${rel.split(path.sep).join('/')}:${name}`, lines: last - first + 1 });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

describe('function length in src/core', () => {
  it(`no function longer than ${LIMIT} lines`, () => {
    assert.deepEqual(longFunctions(coreDir, LIMIT), []);
  });

  it(`the CLI (src/cli) keeps the same limit, nothing owed`, () => {
    assert.deepEqual(longFunctions(cliDir, LIMIT), []);
  });

  it('the measure finds a long function', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fnlen-'));
    try {
      fs.writeFileSync(path.join(dir, 'x.ts'), `export function big() {\n${'  call();\n'.repeat(LIMIT)}}\nconst small = () => 1;\n`);
      assert.deepEqual(longFunctions(dir, LIMIT), [{ where: 'x.ts:big', lines: LIMIT + 2 }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from './helpers';

/**
 * report/ keeps schema, load, render and compare; running jobs is validate/'s. No file under
 * src/core/report imports a layer that runs jobs or talks to servers at run time (type-only imports are
 * fine: they vanish from the build).
 */
const RUNNING_LAYERS = /^\.\.\/(serving|jobs|perf|accuracy|smoke|endpoint|validate)(\/|$)/;

function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = c?.isTypeOnly || (c && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && !n.isTypeOnly) {
      out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('layers', () => {
  it('src/core/report imports nothing that runs a job at run time', () => {
    const dir = path.join(repoRoot, 'src/core/report');
    const bad = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => runtimeImports(path.join(dir, f)).filter((m) => RUNNING_LAYERS.test(m)).map((m) => `${f} → ${m}`));
    assert.deepEqual(bad, []);
  });

  it('the check sees runtime imports, and lets type-only ones through', () => {
    const f = path.join(repoRoot, 'src/core/report/build.ts');
    const imports = runtimeImports(f);
    assert.ok(imports.includes('./assemble'));
    assert.ok(!imports.includes('../serving/model'), 'type-only import of ModelFacts');
  });
});

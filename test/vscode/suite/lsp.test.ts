import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { services, until } from './util';

// The language client talks to the real dist/server.js: a CUDA-only call in a workspace Python file gets a
// diagnostic, its quick fix turns it into NPU code, and the diagnostic goes away.
describe('Language server in VS Code', () => {
  it('flags .cuda() in a patch and applies the quick fix', async () => {
    const svc = await services();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder');
    const uri = vscode.Uri.file(path.join(folder.uri.fsPath, 'patch_block.py'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.ok(await svc.lsp.start(), `language server running (${svc.lsp.startError ?? ''})`);
    const diag = await until('a cuda diagnostic', () =>
      vscode.languages.getDiagnostics(uri).find((d) => d.source === 'ascend-adapt' && doc.getText(d.range).includes('cuda')),
    );
    assert.match(String(typeof diag.code === 'object' ? diag.code.value : diag.code), /^cuda-/);
    assert.equal(diag.range.start.line, 8);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => /npu/.test(a.title) && a.edit);
    assert.ok(fix, `quick fixes: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.match(doc.lineAt(8).text, /bias=False\)\.npu\(\)/);
    await until('the diagnostic to go away', () =>
      !vscode.languages.getDiagnostics(uri).some((d) => d.source === 'ascend-adapt' && d.range.start.line === 8 && /^cuda-/.test(String(typeof d.code === 'object' ? d.code.value : d.code))) || undefined,
    );
    const counts = await vscode.commands.executeCommand<{ errors: number; warnings: number }>('ascend.lint.checkFile', uri);
    assert.ok(counts && typeof counts.errors === 'number', 'Check Current File answers with counts');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

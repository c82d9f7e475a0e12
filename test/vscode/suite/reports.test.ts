import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { collectFigures } from '../../../src/core/report/figures';
import { flatten } from '../../../src/extension/views';
import { services, EXTENSION_ID, labelOf, until } from './util';

// The Reports view lists the workspace's validation reports; opening one shows the core's HTML in a
// webview whose own script runs under the strict CSP (it posts "ready"); a figure opens its evidence;
// unknown messages are dropped; export writes Markdown and HTML; two reports open side by side.
describe('Validation reports in VS Code', () => {
  let reportFile: string;
  let secondFile: string;

  before(async () => {
    const repo = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(folder, 'reports');
    fs.mkdirSync(path.join(dir, 'evidence'), { recursive: true });
    const text = fs.readFileSync(path.join(repo, 'test', 'fixtures', 'report', 'fixture_report.json'), 'utf8');
    reportFile = path.join(dir, 'validation_report_20260519.json');
    fs.writeFileSync(reportFile, text);
    fs.writeFileSync(path.join(dir, 'evidence', 'env_snapshot.json'), '{\n  "kind": "evidence copy written by the test"\n}\n');
    const second = JSON.parse(text) as { generatedAt: string; simulated: boolean };
    second.generatedAt = '2026-05-20T09:40:00.000Z';
    second.simulated = true;
    secondFile = path.join(dir, 'validation_report_20260520.json');
    fs.writeFileSync(secondFile, JSON.stringify(second, null, 2));
  });

  it('lists the reports in the Reports view', async () => {
    const svc = await services();
    await vscode.commands.executeCommand('ascend.reports.focus');
    const rows = await until('two reports', async () => {
      const r = await flatten(svc.views.trees['ascend.reports'], 1);
      return r.length === 2 ? r : undefined;
    });
    assert.ok(rows.every((r) => labelOf(r.item) === 'Hunyuan-A13B-Instruct-GPTQ-Int4'));
    assert.ok(rows.some((r) => /SIMULATED/.test(String(r.item.description))), 'the simulated one says so');
    assert.ok(rows.some((r) => !/SIMULATED/.test(String(r.item.description))));
  });

  it('opens a report in a webview with its tables, a strict CSP and a running script', async () => {
    const svc = await services();
    const rp = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; accepted: string[]; rejected: string[] }>('ascend.reports.open', vscode.Uri.file(reportFile));
    assert.ok(rp);
    const html = rp.panel.webview.html;
    assert.match(html, /<table/);
    assert.match(html, /GSM8K/i);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.doesNotMatch(html, /<(img|script|link|iframe)[^>]+(src|href)="https?:/i, 'no remote resources');
    // The page's own script (nonce'd) runs in the real webview and says ready.
    await until('the webview to post "ready"', () => rp.accepted.includes('ready') || undefined, 60_000);
    assert.ok([...svc.reports.panels].some((p) => p.panel === rp.panel));
  });

  it('drops messages that do not fit the schema and opens a figure\'s evidence', async () => {
    const svc = await services();
    const rp = [...svc.reports.panels][0];
    await svc.reports.onMessage(rp, { type: 'openEvidence', figureId: 'x', extra: 'nope' });
    await svc.reports.onMessage(rp, { type: 'runShell', command: 'rm -rf /' });
    assert.equal(rp.rejected.length, 2);
    // A figure whose evidence is a result file copied beside the report, with a JSON pointer into it.
    const report = rp.entries[0].loaded.report;
    const fig = collectFigures(report).find((f) => {
      const ev = report.evidence?.find((e) => e.id === f.figure.evidence);
      return ev?.copy && ev.kind === 'result' && (f.figure.pointer ?? ev.pointer);
    });
    assert.ok(fig, 'a figure backed by a result file');
    const ev = report.evidence!.find((e) => e.id === fig.figure.evidence)!;
    const key = (fig.figure.pointer ?? ev.pointer)!.split('/').pop()!;
    const copy = path.join(path.dirname(reportFile), ev.copy!);
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.writeFileSync(copy, `{\n  "note": "result file copy written by the test",\n  "other": 1,\n  "${key}": 0.5\n}\n`);
    const opened = await svc.reports.openEvidence(rp, fig.figure.id);
    assert.equal(opened?.fsPath, copy);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, copy);
    assert.equal(editor?.selection.active.line, 3, 'opened at the line holding the figure');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('exports Markdown and HTML', async () => {
    const dir = path.dirname(reportFile);
    const md = await vscode.commands.executeCommand<vscode.Uri>('ascend.reports.export', vscode.Uri.file(reportFile), 'md', vscode.Uri.file(path.join(dir, 'out.md')), 'en');
    const html = await vscode.commands.executeCommand<vscode.Uri>('ascend.reports.export', vscode.Uri.file(reportFile), 'html', vscode.Uri.file(path.join(dir, 'out.html')), 'en');
    assert.match(fs.readFileSync(md!.fsPath, 'utf8'), /^#/m);
    const page = fs.readFileSync(html!.fsPath, 'utf8');
    assert.match(page, /Content-Security-Policy/);
    assert.match(page, /script-src 'none'/);
  });

  it('compares two reports side by side', async () => {
    const rp = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel }>('ascend.reports.compare', vscode.Uri.file(reportFile), vscode.Uri.file(secondFile));
    assert.ok(rp);
    assert.match(rp.panel.title, /validation_report_20260519\.json ↔ validation_report_20260520\.json/);
    assert.match(rp.panel.webview.html, /SIMULATED/);
    rp.panel.dispose();
  });
});

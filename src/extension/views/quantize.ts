import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import type { TrackedQuantize } from '../quantize';
import { statusIcon } from './format';
import type { Node } from './index';

/** A quantization job in the Jobs view: state and progress, then the command, the output and its check. */

function stateWord(s: TrackedQuantize['record']['state']): string {
  switch (s) {
    case 'running': return l10n.t('quantizing');
    case 'succeeded': return l10n.t('quantized');
    case 'needs-confirmation': return l10n.t('asks for confirmation');
    case 'failed': return l10n.t('failed');
    default: return l10n.t('stopped');
  }
}

export class QuantizeNode implements Node {
  constructor(readonly tracked: TrackedQuantize) {}

  item(): vscode.TreeItem {
    const r = this.tracked.record;
    const it = new vscode.TreeItem(l10n.t('quantize {0}', path.basename(r.outDir)), vscode.TreeItemCollapsibleState.Collapsed);
    it.id = `quantize:${r.jobId}`;
    const p = r.progress;
    const parts = [r.simulated ? l10n.t('SIMULATED') : '', r.host, stateWord(r.state), r.state === 'running' ? `${Math.round(p.fraction * 100)}% ${p.phase}${p.block !== null ? ` ${p.block}/${p.blocks ?? '?'}` : ''}` : ''];
    it.description = parts.filter(Boolean).join(' · ');
    it.iconPath =
      r.state === 'running' ? new vscode.ThemeIcon('loading~spin')
        : r.state === 'succeeded' ? statusIcon(r.check?.errors ? 'fail' : 'pass')
          : r.state === 'failed' ? statusIcon('fail')
            : r.state === 'needs-confirmation' ? statusIcon('warn') : new vscode.ThemeIcon('debug-stop');
    it.contextValue = `ascend.job.quantize.${r.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${l10n.t('Quantize')}** — ${stateWord(r.state)}${r.simulated ? ` (${l10n.t('SIMULATED')})` : ''}\n\n`);
    md.appendCodeblock(r.display, 'shell');
    if (r.question) md.appendMarkdown(`\n\n${l10n.t('msModelSlim asks: {0}', r.question)}`);
    if (r.failure) md.appendMarkdown(`\n\n**${r.failure.error.title}** — ${r.failure.error.explanation}\n\n${l10n.t('Fix: {0}', r.failure.error.fix)}`);
    it.tooltip = md;
    return it;
  }

  children(): Node[] {
    const r = this.tracked.record;
    const row = (label: string, description: string, icon: vscode.ThemeIcon): Node => ({
      item: () => {
        const it = new vscode.TreeItem(label);
        it.description = description;
        it.iconPath = icon;
        return it;
      },
    });
    const out: Node[] = [
      row(l10n.t('Job'), `${r.jobId} · ${new Date(r.startedAt).toLocaleString()}`, new vscode.ThemeIcon('tag')),
      row(l10n.t('Model'), `${r.model} → ${r.outDir}`, new vscode.ThemeIcon('symbol-namespace')),
    ];
    const d = r.description;
    if (d) out.push(row(d.file, l10n.t('{0} · {1} tensor entries · {2} linear/MoE weights covered · {3} missing', d.modelQuantType ?? '?', d.tensors, d.covered, d.missing.length), statusIcon(r.check?.errors ? 'fail' : d.missing.length ? 'warn' : 'pass')));
    for (const m of r.check?.messages.slice(0, 5) ?? []) out.push(row(l10n.t('Check'), m, statusIcon('warn')));
    if (r.failure) out.push(row(l10n.t('Failure'), `${r.failure.error.title}: ${r.failure.error.fix}`, statusIcon('fail')));
    if (r.question) out.push(row(l10n.t('Question'), r.question, statusIcon('warn')));
    if (this.tracked.profile) out.push(row(l10n.t('Profile'), this.tracked.profile, new vscode.ThemeIcon('play')));
    return out;
  }
}

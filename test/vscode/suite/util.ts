import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AscendApi, Services } from '../../../src/extension/extension';
import type { MessageUi } from '../../../src/extension/notify';

export const EXTENSION_ID = 'ascend-adapt.ascend-adapt';

export async function api(): Promise<AscendApi> {
  const ext = vscode.extensions.getExtension<AscendApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Waits for a condition the extension reaches asynchronously (view refresh, job state …). */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function labelOf(item: vscode.TreeItem): string {
  const l = item.label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

/** The extension's services; fails with the start-up problems when they did not start. */
export async function services(): Promise<Services> {
  const a = await api();
  if (!a.services) throw new Error(`the extension's services did not start: ${a.startupProblems.join('; ')}`);
  return a.services;
}

/** Every file of the extension's log folder, concatenated (the LogOutputChannel writes there). */
export async function logText(): Promise<string> {
  const dir = (await api()).ctx.extension.logUri.fsPath;
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.log'))
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

/** Profiles on the simulated host for a short validation (val-sim) and one long enough to stop mid-perf (val-sim-long). */
export function writeValidationProfiles(folder: string, demo: string, port: number): void {
  const file = path.join(folder, 'ascend-adapt.json');
  const cfg = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { profiles: Record<string, unknown> }) : { profiles: {} };
  const base = {
    description: 'small Qwen2-shaped model, validated on the simulated host',
    host: 'sim',
    modelPath: path.join(folder, 'models', 'small-qwen'),
    servedModelName: 'small-qwen',
    tensorParallelSize: 1,
    maxModelLen: 4096,
    dtype: 'bfloat16',
    enforceEager: true,
    port,
    smokeMaxTokens: 16,
    readyTimeoutSec: 120,
  };
  cfg.profiles['val-sim'] = {
    ...base,
    validation: {
      accuracy: { tasks: ['gsm8k'], dataDir: demo, limit: 4, reference: path.join(demo, 'reference_gpu_demo.json') },
      perf: { concurrency: 2, numPrompts: 8, inputLen: 32, outputLen: 8, baseline: path.join(demo, 'baseline_gpu_demo.json') },
    },
  };
  // Long enough a perf run to be stopped while it runs.
  cfg.profiles['val-sim-long'] = { ...base, port: port + 1, validation: { perf: { concurrency: 1, numPrompts: 100000, inputLen: 32, outputLen: 64 } } };
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
}

export interface Toast {
  kind: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
}

/** Records the toasts the extension shows and answers them with `answer` (a button label, or nothing). */
export function recorder(answer?: string): MessageUi & { toasts: Toast[] } {
  const toasts: Toast[] = [];
  const show = (kind: Toast['kind']) => (message: string, ...items: string[]) => {
    toasts.push({ kind, message, items });
    return Promise.resolve(answer !== undefined && items.includes(answer) ? answer : undefined);
  };
  return { toasts, showErrorMessage: show('error'), showWarningMessage: show('warning'), showInformationMessage: show('info') };
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeWorkspaceFiles, expandPaths } from '../analysis/index';
import { configExtras } from '../report/assemble';
import { en } from '../l10n';
import type { Adaptation } from '../report/schema';
import { analyzeModel, inspectModel } from '../serving/model';
import type { StepContext, StepResult, ValidateStep } from './types';

export interface AnalysisConfig {
  /** Operator-compatibility findings computed elsewhere (used as they are; nothing is analysed then). */
  findings?: Adaptation['operatorFindings'];
  /**
   * Workspace files / folders (on this machine) with the port's patch, mapping and quantization files:
   * analysed with the language server's rules for the adaptation section (when `findings` is not given).
   */
  workspace?: string[];
}

/**
 * The model's config.json on the host (architecture, MoE, attention, RoPE, quantization → the model section
 * and the adaptation items) and the operator-compatibility analysis of the port's workspace files.
 */
export function analysisStep(config: AnalysisConfig = {}): ValidateStep {
  return {
    id: 'analysis',
    needs: [],
    async run(ctx: StepContext): Promise<StepResult> {
      const { transport: t, profile, book, state } = ctx;
      state.analysis = { findings: config.findings ?? [], analysedFiles: config.findings ? 0 : null, workspaceFiles: [] };
      const insp = await inspectModel(t, profile.modelPath);
      if (insp.config === null) {
        state.model = { ...state.model, facts: null, error: insp.configError ?? en('no config.json in {0}', profile.modelPath) };
        return { status: 'fail', reason: state.model.error };
      }
      const configFile = path.posix.join(profile.modelPath, 'config.json');
      const copy = await book.copyFromHost(t, configFile, 'model/config.json');
      const evidence = book.add({ kind: 'input', jobId: null, host: t.label, startedAt: null, endedAt: null, command: [], file: configFile, ...(copy ? { copy } : {}) });
      state.model = { facts: analyzeModel(insp), extras: configExtras(insp.config as Record<string, unknown>), error: null, evidence };
      if (!config.findings && config.workspace?.length) state.analysis = await analyseWorkspace(config.workspace);
      const { findings, analysedFiles } = state.analysis;
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      const reason = findings.length
        ? en('{0} errors, {1} warnings in the analysed files', errors, warnings)
        : analysedFiles === null
          ? en('config.json read; no workspace files analysed')
          : en('{0} workspace files analysed, no operator problem found', analysedFiles);
      return {
        status: errors ? 'fail' : findings.length ? 'warn' : 'pass',
        reason,
        figures: [
          { label: 'errors', value: errors, unit: 'count' },
          { label: 'warnings', value: warnings, unit: 'count' },
        ],
      };
    },
  };
}

async function analyseWorkspace(workspace: string[]): Promise<StepContextAnalysis> {
  const { files } = expandPaths(workspace);
  const base = workspace.length === 1 && fs.existsSync(workspace[0]) && fs.statSync(workspace[0]).isDirectory() ? workspace[0] : process.cwd();
  const rel = (f: string) => path.relative(base, f) || path.basename(f);
  const findings = (await analyzeWorkspaceFiles(workspace)).map((f) => ({
    file: rel(f.file),
    line: f.range.start.line,
    severity: f.severity,
    code: f.code,
    message: f.message,
  }));
  const workspaceFiles = files.map((f) => ({ file: rel(f), quantType: /quant_model_description[^/]*\.json$/.test(f) ? quantTypeOf(f) : null }));
  return { findings, analysedFiles: files.length, workspaceFiles };
}

type StepContextAnalysis = StepContext['state']['analysis'];

function quantTypeOf(file: string): string | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { model_quant_type?: unknown };
    return typeof j.model_quant_type === 'string' ? j.model_quant_type : null;
  } catch {
    return null;
  }
}

import * as l10n from '@vscode/l10n';
import { CUSTOM_OP_DISPATCH, NPU_CUSTOM_OP_OVERRIDES } from '../knowledge/cuda';
import type { Place } from './guards';
import type { ModuleIndex, ModuleRef, Origin } from './modules';
import type { PyContext } from './python';
import type { ClassInfo, ModuleSummary } from './summary';
import type { Finding, Severity } from './types';

/**
 * How where a finding sits changes it: annotations are not calls; code that only another platform runs
 * (a CUDA-guarded branch, a CustomOp's forward_cuda) is information at most; Triton and re-exported CUDA
 * names are quiet in code written for the NPU.
 */

/** A raw finding with where it was found (and, for CUDA-only names, what it reaches). */
export interface Emitted {
  f: Finding;
  place: Place;
  origin?: Origin;
  /** The finding as placed (set by placeFinding). */
  out?: Finding;
}

export interface ClassVerdict {
  customOp: boolean;
  /** The vllm-ascend class registered for it (CustomOp.register_oot), if any. */
  override?: string;
  definesOot: boolean;
  ootCallsCuda: boolean;
}

const OVERRIDES = new Map(NPU_CUSTOM_OP_OVERRIDES.map((o) => [o.op, o.ascend]));
const REGISTER = /(^|\.)CustomOp\.register(_oot)?$|(^|\.)register_oot$/;

function qualifyWith(aliases: Map<string, string>, d: string): string | undefined {
  const head = d.split('.')[0];
  return aliases.has(head) ? aliases.get(head)! + d.slice(head.length) : undefined;
}

function isCustomOp(info: ClassInfo, aliases: Map<string, string>, local: Map<string, ClassInfo>, index: ModuleIndex | undefined, depth: number): boolean {
  if (depth > 6) return false;
  if (OVERRIDES.has(info.name)) return true;
  if (info.decorators.some((d) => REGISTER.test(qualifyWith(aliases, d) ?? d))) return true;
  for (const b of info.bases) {
    const q = qualifyWith(aliases, b) ?? b;
    if (q === 'CustomOp' || q.endsWith('.CustomOp')) return true;
    const own = b.includes('.') ? undefined : local.get(b);
    if (own && own !== info && isCustomOp(own, aliases, local, index, depth + 1)) return true;
    const other = !own && index && q.includes('.') ? index.classOf(q) : undefined;
    if (other && isCustomOp(other.info, other.aliases, new Map(), index, depth + 1)) return true;
  }
  return false;
}

/** CustomOp verdicts for the classes a file defines. */
export function classVerdicts(summary: ModuleSummary | undefined, aliases: Map<string, string>, index: ModuleIndex | undefined, _ref: ModuleRef | undefined): Map<string, ClassVerdict> {
  const out = new Map<string, ClassVerdict>();
  if (!summary) return out;
  for (const info of summary.classes.values()) {
    if (!info.methods.some((m) => m.startsWith('forward_'))) continue;
    const customOp = isCustomOp(info, aliases, summary.classes, index, 0);
    out.set(info.name, { customOp, ...(OVERRIDES.has(info.name) ? { override: OVERRIDES.get(info.name)! } : {}), definesOot: info.methods.includes('forward_oot'), ootCallsCuda: info.ootCallsCuda });
  }
  return out;
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 0 };

function capped(f: Finding, note: string): Finding {
  const severity: Severity = RANK[f.severity] > RANK.information ? 'information' : f.severity;
  const message = `${f.message} ${note}`;
  return { ...f, severity, message, hover: f.hover ? f.hover.replace(f.message, message) : f.hover };
}

/** The finding as its place makes it, or undefined when the place makes it moot. */
export function placeFinding(e: Emitted, ctx: PyContext, inNpuFunction: boolean): Finding | undefined {
  const { f, place, origin } = e;
  let out: Finding | undefined = f;
  if (place.annotation) out = undefined;
  else if (origin && (ctx.npuNative || inNpuFunction) && (origin.kind === 'triton' || origin.via.length > 0)) out = undefined;
  else if (place.tried && f.code !== 'npu-op-constraint') {
    out = capped(f, l10n.t('(guarded by try: the fallback path is what runs on the NPU.)'));
  } else if (place.guard) {
    out = capped(f, l10n.t('(In a branch taken only on another platform — `{0}` — so it does not run on the NPU.)', place.guard.text));
  } else if (place.platformMethod) {
    const cls = place.platformMethod.cls.childForFieldName('name')?.text ?? '';
    const v = ctx.classVerdict(cls);
    if (v?.customOp && !v.ootCallsCuda) {
      const note = v.override
        ? l10n.t('(In {0}.{1}: on the NPU, CustomOp dispatches to forward_oot, which vLLM-Ascend provides ({2}), so this does not run there.)', cls, place.platformMethod.name, v.override)
        : v.definesOot
          ? l10n.t('(In {0}.{1}: on the NPU, CustomOp dispatches to this class’s forward_oot, so this does not run there.)', cls, place.platformMethod.name)
          : l10n.t('(In {0}.{1}: on the NPU, CustomOp dispatches to forward_oot — forward_native unless an NPU override is registered — so this does not run there.)', cls, place.platformMethod.name);
      out = { ...capped(f, note), source: `${f.source}; ${CUSTOM_OP_DISPATCH.source}` };
    }
  }
  e.out = out;
  return out;
}

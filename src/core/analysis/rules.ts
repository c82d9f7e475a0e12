import * as l10n from '@vscode/l10n';
import { NPU_CUSTOM_OP_OVERRIDES, PLATFORM_DISPATCHERS, type PlatformDispatcher } from '../knowledge/cuda';
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
  /** The platform-dispatching base it derives from (vLLM CustomOp, sglang MultiPlatformOp), if any. */
  dispatcher?: string;
  /** The vllm-ascend class registered for it (CustomOp.register_oot), if any. */
  override?: string;
  /** It defines the NPU method itself. */
  definesNpu: boolean;
  calledFromNpu: string[];
}

const OVERRIDES = new Map(NPU_CUSTOM_OP_OVERRIDES.map((o) => [o.op, o.ascend]));
const REGISTER = /(^|\.)register_oot$/;

function qualifyWith(aliases: Map<string, string>, d: string): string | undefined {
  const head = d.split('.')[0];
  return aliases.has(head) ? aliases.get(head)! + d.slice(head.length) : undefined;
}

/** The dispatcher a class derives from: by its registering decorator, its bases (here or in other modules), or its vLLM name. */
function dispatcherOf(info: ClassInfo, aliases: Map<string, string>, local: Map<string, ClassInfo>, index: ModuleIndex | undefined, depth: number): PlatformDispatcher | undefined {
  if (depth > 6) return undefined;
  const custom = PLATFORM_DISPATCHERS[0];
  if (OVERRIDES.has(info.name)) return custom;
  for (const d of info.decorators.map((x) => qualifyWith(aliases, x) ?? x)) {
    const hit = PLATFORM_DISPATCHERS.find((p) => p.register && (d === p.register || d.endsWith('.' + p.register)));
    if (hit) return hit;
    if (REGISTER.test(d)) return custom;
  }
  for (const b of info.bases) {
    const q = qualifyWith(aliases, b) ?? b;
    const hit = PLATFORM_DISPATCHERS.find((p) => q === p.base || q.endsWith('.' + p.base));
    if (hit) return hit;
    const own = b.includes('.') ? undefined : local.get(b);
    const viaOwn = own && own !== info ? dispatcherOf(own, aliases, local, index, depth + 1) : undefined;
    if (viaOwn) return viaOwn;
    const other = !own && index && q.includes('.') ? index.classOf(q) : undefined;
    const viaOther = other ? dispatcherOf(other.info, other.aliases, new Map(), index, depth + 1) : undefined;
    if (viaOther) return viaOther;
  }
  return undefined;
}

/** Dispatcher verdicts for the classes a file defines. */
export function classVerdicts(summary: ModuleSummary | undefined, aliases: Map<string, string>, index: ModuleIndex | undefined, _ref: ModuleRef | undefined): Map<string, ClassVerdict> {
  const out = new Map<string, ClassVerdict>();
  if (!summary) return out;
  for (const info of summary.classes.values()) {
    if (!info.methods.some((m) => m.startsWith('forward_'))) continue;
    const d = dispatcherOf(info, aliases, summary.classes, index, 0);
    out.set(info.name, {
      ...(d ? { dispatcher: d.base } : {}),
      ...(d?.base === 'CustomOp' && OVERRIDES.has(info.name) ? { override: OVERRIDES.get(info.name)! } : {}),
      definesNpu: !!d && info.methods.includes(d.npuMethod),
      calledFromNpu: info.calledFromNpu,
    });
  }
  return out;
}

export function guardNote(cond: string): string {
  return l10n.t('(In a branch taken only on another platform — `{0}` — so it does not run on the NPU.)', cond);
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
    out = capped(f, guardNote(place.guard.text));
  } else if (place.platformMethod) {
    const cls = place.platformMethod.cls.childForFieldName('name')?.text ?? '';
    const method = place.platformMethod.name;
    const v = ctx.classVerdict(cls);
    const d = v?.dispatcher ? PLATFORM_DISPATCHERS.find((x) => x.base === v.dispatcher) : undefined;
    if (v && d && !v.calledFromNpu.includes(method)) {
      const note = v.override
        ? l10n.t('(In {0}.{1}: on the NPU, {2} dispatches to {3}, which vLLM-Ascend provides ({4}), so this does not run there.)', cls, method, d.base, d.npuMethod, v.override)
        : v.definesNpu
          ? l10n.t('(In {0}.{1}: on the NPU, {2} dispatches to this class’s {3}, so this does not run there.)', cls, method, d.base, d.npuMethod)
          : l10n.t('(In {0}.{1}: on the NPU, {2} dispatches to {3} — forward_native unless an NPU override is registered — so this does not run there.)', cls, method, d.base, d.npuMethod);
      out = { ...capped(f, note), source: `${f.source}; ${d.source}` };
    }
  }
  e.out = out;
  return out;
}

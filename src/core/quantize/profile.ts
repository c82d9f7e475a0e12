import * as fs from 'node:fs';
import { upsertProfile } from '../profiles/write';
import type { ProfileInput } from '../profiles/schema';

/**
 * After a successful quantization: the serving profile for the output folder. A profile already pointing
 * at the output is updated; else one serving the source model (float or GPTQ) is the base (TP, ports, env
 * kept); else a new one. `quantization: "ascend"` is written explicitly — recent vLLM-Ascend detects
 * quant_model_description.json by itself, but the profile then says what it serves.
 */

export interface QuantProfileInput {
  /** Profiles as written in ascend-adapt.json (no defaults applied); {} when there is no file yet. */
  profiles: Record<string, ProfileInput>;
  outDir: string;
  /** Folders the quantization came from (the float model, and the GPTQ one it replaces when known). */
  sources: string[];
  host: string;
  simRoot?: string;
  quantType: string;
  name?: string;
}

const slug = (s: string) => s.replace(/[\\/]+$/, '').split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]+/g, '-') || 'quantized';

export function quantizedProfile(i: QuantProfileInput): { name: string; profile: ProfileInput; basedOn: string | null; updated: boolean } {
  const same = Object.entries(i.profiles).find(([, p]) => p.modelPath === i.outDir);
  if (same && !i.name) return { name: same[0], profile: { ...same[1], quantization: 'ascend' }, basedOn: null, updated: true };
  const base = Object.entries(i.profiles).find(([, p]) => i.sources.includes(p.modelPath));
  const name = i.name ?? (base ? `${base[0]}-${i.quantType.toLowerCase()}` : slug(i.outDir));
  const profile: ProfileInput = {
    ...(base ? base[1] : {}),
    host: i.host,
    ...(i.simRoot ? { simRoot: i.simRoot } : {}),
    modelPath: i.outDir,
    servedModelName: slug(i.outDir),
    quantization: 'ascend',
  };
  if (!i.simRoot) delete profile.simRoot;
  return { name, profile, basedOn: base?.[0] ?? null, updated: Object.prototype.hasOwnProperty.call(i.profiles, name) };
}

/** Reads the raw profiles of ascend-adapt.json ({} when the file does not exist). */
export function rawProfiles(file: string): Record<string, ProfileInput> {
  if (!fs.existsSync(file)) return {};
  const raw = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { profiles?: Record<string, ProfileInput> };
  return raw.profiles ?? {};
}

/** Writes (or updates) the profile for a quantization's output; returns its name. */
export function writeQuantizedProfile(file: string, i: Omit<QuantProfileInput, 'profiles'>): { name: string; basedOn: string | null; updated: boolean } {
  const r = quantizedProfile({ ...i, profiles: rawProfiles(file) });
  upsertProfile(file, r.name, r.profile);
  return { name: r.name, basedOn: r.basedOn, updated: r.updated };
}

import { compare as pep440Compare, explain as pep440Explain } from '@renovatebot/pep440';
import { z } from 'zod';

/**
 * The vllm-ascend release compatibility matrix, as data. One row per vllm-ascend release: the vLLM
 * release it pairs with, the Python range, the CANN version, torch / torch_npu and (newer rows)
 * Triton-Ascend and Mooncake. Each row carries its source.
 *
 * Source: vllm-project/vllm-ascend docs/source/community/versioning_policy.md ("Release compatibility
 * matrix") at main@182b75e (2026-08-22); the v0.24.0rc1 row from that tag (summarised in
 * shared/notes/ascend-facts.md §c). Adding a release = adding a row here (and its test).
 */

const VERSIONING_POLICY =
  'https://github.com/vllm-project/vllm-ascend/blob/182b75ea/docs/source/community/versioning_policy.md#release-compatibility-matrix';
const V0_24_0RC1 = 'https://github.com/vllm-project/vllm-ascend/blob/v0.24.0rc1/docs/source/community/versioning_policy.md';

export const CompatRowSchema = z.object({
  /** vllm-ascend release, PEP 440 without the leading v (e.g. "0.13.0rc1"). */
  vllmAscend: z.string().regex(/^\d+\.\d+\.\d+((rc|\.post)\d+)*$/),
  /** Matching vLLM releases (usually one; "v0.10.1/v0.10.1.1" is two). */
  vllm: z.array(z.string().regex(/^\d+\.\d+\.\d+(\.\d+|rc\d+|\.post\d+)?$/)).min(1),
  /** Python range as [min inclusive, max exclusive], e.g. ["3.10", "3.12"]. */
  python: z.tuple([z.string().regex(/^3\.\d+$/), z.string().regex(/^3\.\d+$/)]),
  /** CANN toolkit version, in CANN's own spelling (8.3.RC2, 8.5.1, 9.0.0). */
  cann: z.string().regex(/^\d+\.\d+\.(RC\d+|\d+)$/),
  torch: z.string().regex(/^\d+\.\d+\.\d+$/),
  torchNpu: z.string().min(5),
  tritonAscend: z.string().nullable(),
  mooncake: z.string().nullable(),
  /** Extra requirement called out by the docs (e.g. mindie-turbo for v0.7.3). */
  note: z.string().nullable(),
  source: z.string().url(),
});
export type CompatRow = z.infer<typeof CompatRowSchema>;

type RowInput = [string, string, string, string, string, string, string | null, string | null, string?];

// [vllm-ascend, vLLM (slash-separated), python range, CANN, torch, torch_npu, triton-ascend, mooncake, note]
const RAW: RowInput[] = [
  ['0.24.0rc1', '0.24.0', '3.10-3.13', '9.0.1', '2.10.0', '2.10.0.post2', '3.2.1', '0.3.11.post1'],
  ['0.23.0', '0.23.0', '3.10-3.13', '9.1.0', '2.10.0', '2.10.0.post4', '3.2.2', '0.3.11.post1'],
  ['0.23.0rc1', '0.23.0', '3.10-3.13', '9.0.1', '2.10.0', '2.10.0.post2', '3.2.1', '0.3.11.post1'],
  ['0.22.1rc1', '0.22.1', '3.10-3.13', '9.0.0', '2.10.0', '2.10.0', '3.2.1', '0.3.9'],
  ['0.21.0rc1', '0.21.0', '3.10-3.13', '9.0.0', '2.10.0', '2.10.0', '3.2.1', '0.3.9'],
  ['0.20.2rc1', '0.20.2', '3.10-3.12', '9.0.0', '2.10.0', '2.10.0', '3.2.1', '0.3.8.post1'],
  ['0.19.1rc1', '0.19.1', '3.10-3.12', '8.5.1', '2.9.0', '2.9.0', '3.2.0', '0.3.8.post1'],
  ['0.18.0', '0.18.0', '3.10-3.12', '8.5.1', '2.9.0', '2.9.0.post1+git4c901a4', '3.2.0.dev20260322', '0.3.9'],
  ['0.18.0rc1', '0.18.0', '3.10-3.12', '8.5.1', '2.9.0', '2.9.0', '3.2.0', null],
  ['0.17.0rc1', '0.17.0', '3.10-3.12', '8.5.1', '2.9.0', '2.9.0', '3.2.0', null],
  ['0.16.0rc1', '0.16.0', '3.10-3.12', '8.5.1', '2.9.0', '2.9.0', '3.2.0', null],
  ['0.15.0rc1', '0.15.0', '3.10-3.12', '8.5.0', '2.9.0', '2.9.0', '3.2.0', null],
  ['0.14.0rc1', '0.14.1', '3.10-3.12', '8.5.0', '2.9.0', '2.9.0', '3.2.0', null],
  ['0.13.0rc3', '0.13.0', '3.10-3.12', '8.5.1', '2.8.0', '2.8.0.post2', '3.2.0', null],
  ['0.13.0', '0.13.0', '3.10-3.12', '8.5.0', '2.8.0', '2.8.0.post2', '3.2.0', null],
  ['0.13.0rc2', '0.13.0', '3.10-3.12', '8.5.0', '2.8.0', '2.8.0.post1', '3.2.0', null],
  ['0.13.0rc1', '0.13.0', '3.10-3.12', '8.3.RC2', '2.8.0', '2.8.0', null, null],
  ['0.12.0rc1', '0.12.0', '3.10-3.12', '8.3.RC2', '2.8.0', '2.8.0', null, null],
  ['0.11.0', '0.11.0', '3.9-3.12', '8.3.RC2', '2.7.1', '2.7.1.post1', null, null],
  ['0.11.0rc3', '0.11.0', '3.9-3.12', '8.3.RC2', '2.7.1', '2.7.1.post1', null, null],
  ['0.11.0rc2', '0.11.0', '3.9-3.12', '8.3.RC2', '2.7.1', '2.7.1', null, null],
  ['0.11.0rc1', '0.11.0', '3.9-3.12', '8.3.RC1', '2.7.1', '2.7.1', null, null],
  ['0.11.0rc0', '0.11.0rc3', '3.9-3.12', '8.2.RC1', '2.7.1', '2.7.1.dev20250724', null, null],
  ['0.10.2rc1', '0.10.2', '3.9-3.12', '8.2.RC1', '2.7.1', '2.7.1.dev20250724', null, null],
  ['0.10.1rc1', '0.10.1/0.10.1.1', '3.9-3.12', '8.2.RC1', '2.7.1', '2.7.1.dev20250724', null, null],
  ['0.10.0rc1', '0.10.0', '3.9-3.12', '8.2.RC1', '2.7.1', '2.7.1.dev20250724', null, null],
  ['0.9.2rc1', '0.9.2', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1.post1.dev20250619', null, null],
  ['0.9.1', '0.9.1', '3.9-3.12', '8.2.RC1', '2.5.1', '2.5.1.post1', null, null, 'also covers v0.9.1rc2 / rc3'],
  ['0.9.1rc3', '0.9.1', '3.9-3.12', '8.2.RC1', '2.5.1', '2.5.1.post1', null, null],
  ['0.9.1rc2', '0.9.1', '3.9-3.12', '8.2.RC1', '2.5.1', '2.5.1.post1', null, null],
  ['0.9.1rc1', '0.9.1', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1.post1.dev20250528', null, null],
  ['0.9.0rc2', '0.9.0', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1', null, null],
  ['0.9.0rc1', '0.9.0', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1', null, null],
  ['0.8.5rc1', '0.8.5.post1', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1', null, null],
  ['0.8.4rc2', '0.8.4', '3.9-3.12', '8.0.0', '2.5.1', '2.5.1', null, null],
  ['0.7.3.post1', '0.7.3', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1', null, null, 'v0.7.3 also needs mindie-turbo'],
  ['0.7.3', '0.7.3', '3.9-3.12', '8.1.RC1', '2.5.1', '2.5.1', null, null, 'v0.7.3 also needs mindie-turbo'],
];

function toRow(r: RowInput): CompatRow {
  const [vllmAscend, vllm, py, cann, torch, torchNpu, triton, mooncake, note] = r;
  const [lo, hi] = py.split('-');
  return CompatRowSchema.parse({
    vllmAscend,
    vllm: vllm.split('/'),
    python: [lo, hi],
    cann,
    torch,
    torchNpu,
    tritonAscend: triton,
    mooncake,
    note: note ?? null,
    source: vllmAscend === '0.24.0rc1' ? V0_24_0RC1 : VERSIONING_POLICY,
  });
}

/** Newest first. Validated with zod when the module loads: a bad edit fails every test at once. */
export const COMPAT_MATRIX: readonly CompatRow[] = Object.freeze(RAW.map(toRow));

// ---------------------------------------------------------------------------------------------------
// Versions. Two spellings meet here: PEP 440 (pip packages) and CANN's own (8.3.RC2 < 8.3.0 < 8.5.0),
// which is not PEP 440 and keeps its own comparator below.

/** A PEP 440 version taken apart (release, pre, post, dev, local, public), or null if it is not one. */
export function parsePep440(v: string) {
  return pep440Explain(v.trim());
}

/** The release numbers of a PEP 440 version (`2.8.0.post2` → [2, 8, 0]); null if it is not one. */
function releaseOf(v: string): number[] | null {
  return parsePep440(v)?.release ?? null;
}

function cmpRelease(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * PEP 440 ordering (pip's rules, from @renovatebot/pep440), local labels ignored: `2.8.0+cpu` = `2.8.0`.
 * Unparseable strings compare as strings, after parseable ones.
 */
export function comparePep440(a: string, b: string): number {
  const pa = pep440Explain(publicVersion(a));
  const pb = pep440Explain(publicVersion(b));
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a.localeCompare(b);
  return Math.sign(pep440Compare(pa.public, pb.public));
}

/** The version without its local label (`2.8.0+cpu` → `2.8.0`, `0.11.0+empty` → `0.11.0`). */
export function publicVersion(v: string): string {
  return v.trim().replace(/^v/, '').split('+')[0];
}

/** Same release segment (major.minor.patch), ignoring pre/post/dev/local: `2.8.0.post2` ~ `2.8.0`. */
export function sameRelease(a: string, b: string, parts = 3): boolean {
  const ra = releaseOf(a);
  const rb = releaseOf(b);
  if (!ra || !rb) return false;
  return cmpRelease(ra.slice(0, parts), rb.slice(0, parts)) === 0;
}

export interface CannVersion {
  major: number;
  minor: number;
  /** Patch number for dotted releases (8.5.1 → 1); null for RC builds. */
  patch: number | null;
  /** RC number (8.3.RC2 → 2); null for dotted releases. */
  rc: number | null;
  /** Anything after (e.g. `.alpha003`). */
  suffix: string;
}

export function parseCannVersion(v: string): CannVersion | null {
  const m = /^\s*(\d+)\.(\d+)(?:\.(?:RC(\d+)|(\d+)))?((?:[.-]\w+)*)\s*$/i.exec(v);
  if (!m) return null;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    rc: m[3] !== undefined ? Number(m[3]) : null,
    patch: m[4] !== undefined ? Number(m[4]) : m[3] === undefined ? 0 : null,
    suffix: m[5] ?? '',
  };
}

/** CANN ordering: within a major.minor, RC builds come before the dotted releases (8.3.RC2 < 8.3.0). */
export function compareCann(a: string, b: string): number {
  const pa = parseCannVersion(a);
  const pb = parseCannVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a.localeCompare(b);
  if (pa.major !== pb.major) return Math.sign(pa.major - pb.major);
  if (pa.minor !== pb.minor) return Math.sign(pa.minor - pb.minor);
  const rank = (p: CannVersion) => (p.rc !== null ? [0, p.rc] : [1, p.patch ?? 0]);
  const [ka, kb] = [rank(pa), rank(pb)];
  if (ka[0] !== kb[0]) return Math.sign(ka[0] - kb[0]);
  if (ka[1] !== kb[1]) return Math.sign(ka[1] - kb[1]);
  return 0;
}

/** Python `X.Y.Z` inside the row's [min, max). */
export function pythonInRange(python: string, range: readonly [string, string]): boolean {
  const release = releaseOf(python);
  if (!release) return false;
  const mm = release.slice(0, 2);
  const lo = range[0].split('.').map(Number);
  const hi = range[1].split('.').map(Number);
  return cmpRelease(mm, lo) >= 0 && cmpRelease(mm, hi) < 0;
}

/** The row for an installed vllm-ascend version (local label ignored; `v` prefix allowed). */
export function findCompatRow(vllmAscendVersion: string): CompatRow | null {
  const pub = publicVersion(vllmAscendVersion);
  const exact = COMPAT_MATRIX.find((r) => comparePep440(r.vllmAscend, pub) === 0);
  return exact ?? null;
}

/**
 * The closest row when there is no exact one (a dev build, a release newer than the table): the newest
 * row with the same major.minor that is not newer than the installed version, else null.
 */
export function nearestCompatRow(vllmAscendVersion: string): CompatRow | null {
  const pub = publicVersion(vllmAscendVersion);
  if (!releaseOf(pub)) return null;
  const candidates = COMPAT_MATRIX.filter((r) => sameRelease(r.vllmAscend, pub, 2) && comparePep440(r.vllmAscend, pub) <= 0);
  candidates.sort((a, b) => comparePep440(b.vllmAscend, a.vllmAscend));
  return candidates[0] ?? null;
}

/** The row `sim create` uses by default: the release a hand-written adaptation report we follow was made with (vLLM-Ascend 0.18.0, CANN 8.5.1). */
export const DEFAULT_SIM_RELEASE = '0.18.0';

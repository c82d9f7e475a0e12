/**
 * Chip family from the npu-smi `Name` column (or a SoC name such as `ascend910b3`).
 *
 * The trap: a bare `910B` (no digit) is a classic Ascend 910 (Atlas 800 9000 training, SocVersion
 * Ascend910B), NOT an Atlas A2 chip — A2 names always carry a bin digit: 910B1…910B4, 910B2C, 910B4-1.
 * Sources: shared/notes/ascend-facts.md §a.2 (npu-smi samples; vllm_ascend/device/hardware.py
 * `_SOC_VERSION_TO_DEVICE_TYPE`; torch_npu NpuVariables.h).
 */
export type ChipFamily = 'A2' | 'A3' | '910' | '310P' | '310B' | '310' | '950' | 'unknown';

export const CHIP_FAMILIES: readonly ChipFamily[] = ['A2', 'A3', '910', '310P', '310B', '310', '950', 'unknown'];

/** What vllm-ascend says about running on a family (FAQ §1 of the vllm-ascend docs). */
export type FamilySupport = 'supported' | 'experimental' | 'unsupported' | 'unknown';

export function chipFamily(rawName: string): ChipFamily {
  const name = rawName.trim();
  if (!name) return 'unknown';
  // The A3 card reports its dies as `Ascend910`; its SoC names are Ascend910_93xx.
  if (/^ascend910$/i.test(name)) return 'A3';
  const n = name.replace(/^ascend[-_ ]?/i, '');
  if (/^910_?93\d{2}$/i.test(n) || /^93\d{2}$/.test(n)) return 'A3';
  if (/^910B[1-4](C)?(-\d+)?$/i.test(n)) return 'A2';
  if (/^910(A|B|ProA|ProB|PremiumA)?$/i.test(n)) return '910';
  if (/^310P\d*/i.test(n)) return '310P';
  if (/^310B\d*/i.test(n)) return '310B';
  if (/^310$/i.test(n)) return '310';
  if (/^950/i.test(n)) return '950';
  return 'unknown';
}

export function familySupport(family: ChipFamily): FamilySupport {
  switch (family) {
    case 'A2':
    case 'A3':
      return 'supported';
    case '310P':
    case '950':
      return 'experimental';
    case '910':
    case '310B':
    case '310':
      return 'unsupported';
    default:
      return 'unknown';
  }
}

/** A person-readable product line for a family (not translated: product names). */
export function familyProduct(family: ChipFamily): string {
  switch (family) {
    case 'A2': return 'Atlas A2 (Ascend 910B)';
    case 'A3': return 'Atlas A3 (Ascend 910_93)';
    case '910': return 'Ascend 910 (classic, Atlas 800 9000)';
    case '310P': return 'Atlas 300I Duo / 300I Pro (Ascend 310P)';
    case '310B': return 'Atlas 200I A2 (Ascend 310B)';
    case '310': return 'Atlas 300 (Ascend 310)';
    case '950': return 'Ascend 950';
    default: return 'unknown';
  }
}

/** The family of a host: the one all devices share, or `mixed:…` when they differ. */
export function hostFamily(names: readonly string[]): string {
  const fams = [...new Set(names.map(chipFamily))];
  if (fams.length === 0) return 'none';
  if (fams.length === 1) return fams[0];
  return `mixed:${fams.sort().join(',')}`;
}

export { chipFamily, familySupport, familyProduct, hostFamily, CHIP_FAMILIES, type ChipFamily, type FamilySupport } from './family';
export { parseNpuSmiInfo, parseNpuSmiList, parseKeyValueLines, deviceMemory, type NpuDevice, type NpuProcess, type NpuSmiInfo, type NpuSmiLayout, type ParseIssue } from './smi';

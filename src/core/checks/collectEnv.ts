import type { ProbeOutcome } from '../probe/schema';

/**
 * A probe outcome in the text layout of vllm-ascend's collect_env.py — the block users paste into
 * vllm-ascend issues ("Your current environment"). Sections follow that script: PyTorch/OS/Python
 * lines, CPU, "Versions of relevant libraries", vLLM / vLLM Ascend versions, "ENV Variables:", "NPU:"
 * (the raw npu-smi info) and "CANN:" (the raw ascend_toolkit_install.info). A simulated host gets a
 * first line saying so, and this tool's name is in the header, so nobody mistakes it for a real one.
 */
export function renderCollectEnv(host: string, outcome: ProbeOutcome): string {
  if (!outcome.ok) {
    return [`# ascend-adapt env-check snapshot of ${host}: probe failed (${outcome.kind}): ${outcome.message}`, ''].join('\n');
  }
  const d = outcome.data;
  const v = (n: string) => d.packages[n]?.version ?? null;
  const lines: string[] = [];
  if (d.simulated) lines.push('# SIMULATED HOST (ascend-adapt sim) — nothing below is a real Ascend environment');
  lines.push(`# collected by ascend-adapt env_probe on ${host} at ${d.startedAt} (collect_env.py layout)`);
  lines.push(`PyTorch version: ${v('torch') ?? 'N/A'}`, '');
  lines.push(`OS: ${d.host?.os ?? 'Could not collect'} (${d.host?.arch ?? '?'})`);
  lines.push(`Python version: ${d.python?.version ?? 'Could not collect'} (${d.python?.implementation ?? '?'})`);
  lines.push(`Python platform: Linux-${d.host?.kernel ?? '?'}-${d.host?.arch ?? '?'}`, '');
  lines.push('CPU:');
  lines.push(`Architecture:                    ${d.host?.arch ?? '?'}`);
  lines.push(`CPU(s):                          ${d.host?.cpuCount ?? '?'}`);
  lines.push(`Model name:                      ${d.host?.cpuModel ?? '?'}`, '');
  lines.push('Versions of relevant libraries:');
  for (const n of ['numpy', 'torch', 'torch_npu', 'transformers', 'triton_ascend', 'lm_eval', 'msmodelslim']) {
    const ver = v(n);
    if (ver) lines.push(`[pip3] ${n}==${ver}`);
  }
  lines.push(`vLLM Version: ${v('vllm') ?? 'N/A'}`);
  lines.push(`vLLM Ascend Version: ${v('vllm_ascend') ?? 'N/A'}`, '');
  lines.push('ENV Variables:');
  for (const [k, val] of Object.entries(d.env)) {
    if (k === 'PATH' || k === 'PYTHONPATH') continue;
    if (/^(TORCH|PYTORCH|ASCEND_|ATB_|VLLM_|HCCL_)/.test(k) || k === 'LD_LIBRARY_PATH' || k === 'TASK_QUEUE_ENABLE') lines.push(`${k}=${val}`);
  }
  lines.push('', '', 'NPU:');
  const smi = d.commands.npuSmiInfo;
  if (!smi || !smi.found) lines.push('npu-smi: not found');
  else if (smi.timedOut) lines.push(`npu-smi info: timed out after ${smi.ms} ms`);
  else lines.push(smi.stdout.trimEnd());
  lines.push('', 'CANN:');
  lines.push(d.ascend?.cann?.raw?.trimEnd() ?? 'Could not collect');
  lines.push('');
  return lines.join('\n');
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import { quoteArg as shq } from '../transport/quote';

/**
 * The simulated msModelSlim of a simulated Atlas host (called by `sim create`): the `msmodelslim` command
 * (python/sim/msmodelslim.py), its package metadata the way `bash install.sh` (pip install .) leaves it —
 * a dist-info whose direct_url.json points at the source checkout — and that checkout's one legacy example
 * script with its calibration prompt files. Everything says SIMULATED.
 */

export const SIM_MSMODELSLIM_VERSION = '26.0.0';
const MARK = 'SIMULATED by ascend-adapt — not a real msModelSlim installation';

function write(file: string, content: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, mode !== undefined ? { mode } : undefined);
}

export function layoutSimMsModelSlim(root: string, o: { python: string; simDir: string; sitePackages: string; bin: string }): { checkout: string } {
  const script = path.join(o.simDir, 'msmodelslim.py');
  write(path.join(o.bin, 'msmodelslim'), [
    '#!/bin/sh',
    `# msmodelslim: ${MARK}`,
    `if [ ! -f ${shq(script)} ]; then echo ${shq(`msmodelslim (simulated): ${script} is missing`)} >&2; exit 127; fi`,
    `exec ${shq(o.python)} ${shq(script)} "$@"`,
    '',
  ].join('\n'), 0o755);

  const checkout = path.join(root, 'msmodelslim');
  const dist = path.join(o.sitePackages, `msmodelslim-${SIM_MSMODELSLIM_VERSION}.dist-info`);
  write(path.join(dist, 'METADATA'), ['Metadata-Version: 2.1', 'Name: msmodelslim', `Version: ${SIM_MSMODELSLIM_VERSION}`, `Summary: ${MARK} (metadata only)`, ''].join('\n'));
  write(path.join(dist, 'INSTALLER'), 'pip\n');
  write(path.join(dist, 'RECORD'), '');
  write(path.join(dist, 'entry_points.txt'), '[console_scripts]\nmsmodelslim = msmodelslim.cli.__main__:main\n');
  // PEP 610: pip records where a local-directory install came from; the probe finds example/ through it.
  write(path.join(dist, 'direct_url.json'), JSON.stringify({ url: `file://${checkout}`, dir_info: {} }) + '\n');

  const example = path.join(checkout, 'example', 'Qwen3-MOE', 'quant_qwen_moe_w8a8.py');
  write(example, [
    `# ${MARK}: stand-in for msModelSlim ${SIM_MSMODELSLIM_VERSION} example/Qwen3-MOE/quant_qwen_moe_w8a8.py`,
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(o.simDir)})`,
    'import msmodelslim_legacy  # noqa: E402',
    'sys.exit(msmodelslim_legacy.main())',
    '',
  ].join('\n'));
  const prompts = ['What is deep learning?', 'Explain the transformer architecture.', '用Python写一个快速排序算法', '什么是大语言模型?'];
  for (const f of ['qwen3-moe_anti_prompt_50.json', 'qwen3-moe_calib_prompt_50.json']) write(path.join(checkout, 'example', 'common', f), JSON.stringify(prompts, null, 2) + '\n');
  write(path.join(checkout, 'README-SIMULATED.txt'), `${MARK}\nA stand-in checkout with one legacy example script; \`msmodelslim\` is on PATH after sourcing env.sh.\n`);
  return { checkout };
}

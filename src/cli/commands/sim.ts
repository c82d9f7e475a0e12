import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { createSim, SimCreateError } from '../../core/sim/create';
import { parse } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../command';

/** `ascend-adapt sim create DIR [--chip 910B3] [--devices 8] [--release 0.18.0] [--force] [--json]` */
export const simCommand: CliCommand = {
  name: 'sim',
  summary: () => l10n.t('create a simulated Atlas host (stand-in npu-smi, CANN tree, packages) for trying the tool'),
  usage: () => [
    l10n.t('Usage: ascend-adapt sim create DIR [--chip NAME] [--devices N] [--release VLLM_ASCEND_VERSION] [--force] [--json]'),
    '',
    l10n.t('Lays out a SIMULATED Atlas host in DIR: npu-smi, CANN toolkit and driver version files, set_env.sh,'),
    l10n.t('Python package metadata at the versions of one vllm-ascend compatibility-matrix row, and DIR/env.sh.'),
    l10n.t('Use it with `. DIR/env.sh` (shell, or an SSH host setup script) or `ascend-adapt env-check --sim DIR`.'),
    '',
    `  --chip NAME        ${l10n.t('npu-smi chip name: 910B3 (default), 910B1, 910B2, 910B2C, 910B4, Ascend910 (A3), 310P3, 910B (classic 910)')}`,
    `  --devices N        ${l10n.t('NPU cards (default 8)')}`,
    `  --release VERSION  ${l10n.t('vllm-ascend release whose matrix row gives the versions (default 0.18.0)')}`,
    `  --force            ${l10n.t('replace a simulated host already in DIR')}`,
  ].join('\n'),
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      chip: { type: 'string' },
      devices: { type: 'string' },
      release: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals[0] !== 'create') throw new UsageError(l10n.t('usage: ascend-adapt sim create DIR'));
    if (positionals.length !== 2) throw new UsageError(l10n.t('sim create takes one directory'));
    let devices: number | undefined;
    if (values.devices !== undefined) {
      devices = Number(values.devices);
      if (!Number.isInteger(devices) || devices < 1 || devices > 64) throw new UsageError(l10n.t('--devices wants a whole number from 1 to 64'));
    }
    try {
      const r = createSim(path.resolve(io.cwd, positionals[1]), {
        chip: values.chip, devices, release: values.release?.replace(/^v/, ''), force: values.force,
      });
      if (values.json) {
        io.stdout.write(JSON.stringify({ simulated: true, root: r.root, envFile: r.envFile, envJson: r.envJsonFile, config: r.config }, null, 2) + '\n');
      } else {
        const c = r.config;
        io.stdout.write([
          l10n.t('Created a SIMULATED Atlas host in {0}', r.root),
          l10n.t('  {0} x {1} ({2}), vllm-ascend {3}, vLLM {4}, CANN {5}, torch {6}, torch_npu {7}', String(c.devices), c.chip, c.family, c.release.vllmAscend, c.release.vllm, c.release.cann, c.release.torch, c.release.torchNpu),
          l10n.t('Use it:  . {0}   or   ascend-adapt env-check --sim {1}', r.envFile, r.root),
          '',
        ].join('\n'));
      }
      return 0;
    } catch (e) {
      if (e instanceof SimCreateError) throw new UsageError(e.message);
      throw e;
    }
  },
};

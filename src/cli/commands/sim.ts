import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { DEFAULT_SIM_RELEASE } from '../../core/knowledge/compat';
import { createSim, SimCreateError } from '../../core/sim/create';
import { quoteArg } from '../../core/transport/quote';
import { defineCommand, defineGroup, UsageError } from '../command';
import { opt } from '../options';

const create = defineCommand({
  name: 'create',
  summary: () => l10n.t('create a simulated Atlas host (stand-in npu-smi, CANN tree, packages) for trying the tool'),
  description: () => [
    l10n.t('Lays out a SIMULATED Atlas host in DIR: npu-smi, CANN toolkit and driver version files, set_env.sh,'),
    l10n.t('Python package metadata at the versions of one vllm-ascend compatibility-matrix row, and DIR/env.sh.'),
    l10n.t('Use it with `. DIR/env.sh` (shell, or an SSH host setup script) or `ascend-adapt env-check --sim DIR`.'),
  ],
  positionals: { usage: 'DIR', min: 1, max: 1 },
  options: {
    chip: opt.string({ metavar: 'NAME', default: '910B3', help: () => l10n.t('npu-smi chip name: 910B1, 910B2, 910B2C, 910B3, 910B4, Ascend910 (A3), 310P3, 910B (classic 910)') }),
    devices: opt.int({ metavar: 'N', min: 1, max: 64, default: 8, help: () => l10n.t('NPU cards') }),
    release: opt.string({ metavar: 'VERSION', default: DEFAULT_SIM_RELEASE, help: () => l10n.t('vllm-ascend release whose compatibility-matrix row gives the versions') }),
    force: opt.flag(() => l10n.t('re-create a simulated host already in DIR (only the files it made are replaced; files you added stay)')),
    json: opt.flag(() => l10n.t('print what was made as JSON on stdout')),
  },
  async run({ values, positionals, io, hint }) {
    try {
      const r = createSim(path.resolve(io.cwd, positionals[0]!), {
        chip: values.chip, devices: values.devices, release: values.release.replace(/^v/, ''), force: values.force,
      });
      if (values.json) {
        io.stdout.write(JSON.stringify({ simulated: true, root: r.root, envFile: r.envFile, envJson: r.envJsonFile, models: r.modelsDir, config: r.config }, null, 2) + '\n');
      } else {
        const c = r.config;
        io.stdout.write([
          l10n.t('Created a SIMULATED Atlas host in {0}', r.root),
          l10n.t('  {0} x {1} ({2}), vllm-ascend {3}, vLLM {4}, CANN {5}, torch {6}, torch_npu {7}', String(c.devices), c.chip, c.family, c.release.vllmAscend, c.release.vllm, c.release.cann, c.release.torch, c.release.torchNpu),
          l10n.t('  model checkpoints (tiny, made up): {0}', r.modelsDir),
          l10n.t('Use it:  {0}   or   {1}', `. ${quoteArg(r.envFile)}`, hint(['env-check'], ['--sim', r.root])),
          '',
        ].join('\n'));
      }
      return 0;
    } catch (e) {
      if (e instanceof SimCreateError) throw new UsageError(e.message);
      throw e;
    }
  },
});

/** `ascend-adapt sim create DIR [--chip 910B3] [--devices 8] [--release 0.18.0] [--force] [--json]` */
export const simCommand = defineGroup({
  name: 'sim',
  summary: () => l10n.t('create a simulated Atlas host (stand-in npu-smi, CANN tree, packages) for trying the tool'),
  subcommands: [create],
});

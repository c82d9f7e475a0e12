import * as l10n from '@vscode/l10n';
import { DEFAULT_SMOKE_PROMPTS } from '../../core/profiles';
import { listModels } from '../../core/endpoint/index';
import { runSmoke, smokePassed, smokeReportSchema, type SmokeReport } from '../../core/smoke/index';
import type { ForwardedPort, Transport } from '../../core/transport/transport';
import { defineCommand, UsageError, type CliIO, type RunContext } from '../command';
import { opt } from '../options';
import { formatTable } from '../table';
import { endpointUrl, profileOrEndpoint, resolveProfile, type TargetDecl } from '../target';
import { timeoutOptions } from './timeouts';

function printSummary(rep: SmokeReport, io: CliIO): void {
  const head = ['#', l10n.t('TTFT (ms)'), l10n.t('Total (ms)'), l10n.t('Prompt tok'), l10n.t('Completion tok'), l10n.t('Finish'), l10n.t('Usage'), l10n.t('Result')];
  const rows = rep.results.map((r, i) => [
    String(i + 1),
    r.ttftMs === null ? '-' : r.ttftMs.toFixed(0),
    r.totalMs === null ? '-' : r.totalMs.toFixed(0),
    r.promptTokens === null ? '-' : String(r.promptTokens),
    r.completionTokens === null ? '-' : String(r.completionTokens),
    r.finishReason ?? '-',
    r.usageConsistent === null ? l10n.t('not reported') : r.usageConsistent ? l10n.t('consistent') : l10n.t('inconsistent'),
    smokePassed(r) ? l10n.t('passed') : l10n.t('failed'),
  ]);
  io.stdout.write('\n' + formatTable([head, ...rows]));
  for (const [i, r] of rep.results.entries()) {
    if (r.error) io.stdout.write(l10n.t('Prompt {0}: {1}', i + 1, r.error) + '\n');
    else if (r.usageConsistent === false) io.stdout.write(l10n.t('Prompt {0}: usage does not add up: {1}', i + 1, r.usageNote ?? '') + '\n');
  }
  io.stdout.write(l10n.t('{0}/{1} prompts passed{2}', rep.passed, rep.results.length, rep.simulated ? ` (${l10n.t('SIMULATED server')})` : '') + '\n');
}

const TARGET: TargetDecl = { profile: true, endpoint: true, sim: 'root' };

const options = {
  model: opt.string({ metavar: 'NAME', help: () => l10n.t('model name to ask (with --endpoint; default: the first model the server lists)') }),
  prompt: opt.string({ metavar: 'TEXT', repeat: true, help: () => l10n.t('a prompt to send instead of the standard ones') }),
  'max-tokens': opt.int({ metavar: 'N', min: 1, help: () => l10n.t('most tokens per answer (default: the profile\'s, else 256)') }),
  'api-key': opt.string({ metavar: 'KEY', help: () => l10n.t('API key sent as a bearer token') }),
  json: opt.flag(() => l10n.t('print the results as JSON on stdout')),
  ...timeoutOptions,
};
type Ctx = RunContext<typeof options>;

interface Plan {
  endpoint: string;
  model: string | undefined;
  prompts: string[];
  maxTokens: number | undefined;
  temperature: number;
  /** Seconds; the command line's, else the profile's. */
  requestTimeoutS: number | undefined;
  stallTimeoutS: number | undefined;
  close(): Promise<void>;
}

/** --profile: the profile's server through a forwarded port, its model, prompts and limits; --endpoint: as given. */
async function planFor(ctx: Ctx): Promise<Plan> {
  const { values, where } = ctx;
  const custom = values.prompt.length ? values.prompt : undefined;
  if (profileOrEndpoint(where) === 'endpoint') {
    return {
      endpoint: endpointUrl(where), model: values.model, prompts: custom ?? [...DEFAULT_SMOKE_PROMPTS], maxTokens: values['max-tokens'], temperature: 0,
      requestTimeoutS: values['request-timeout'], stallTimeoutS: values['stall-timeout'], close: async () => undefined,
    };
  }
  if (values.model) throw new UsageError(l10n.t('--model goes with --endpoint; a profile names its model'));
  const { profile, target } = resolveProfile(ctx, TARGET);
  const transport: Transport = await target.open();
  let forward: ForwardedPort;
  try {
    forward = await transport.forwardPort(profile.port, '127.0.0.1');
  } catch (e) {
    await transport.close();
    throw e;
  }
  return {
    endpoint: `http://127.0.0.1:${forward.localPort}`,
    model: profile.servedModelName ?? profile.modelPath,
    prompts: custom ?? profile.smokePrompts,
    maxTokens: values['max-tokens'] ?? profile.smokeMaxTokens,
    temperature: profile.smokeTemperature,
    requestTimeoutS: values['request-timeout'] ?? profile.requestTimeoutSec,
    stallTimeoutS: values['stall-timeout'] ?? profile.stallTimeoutSec,
    close: async () => {
      await forward.close();
      await transport.close();
    },
  };
}

/** Streams each answer as it arrives (text mode); model text goes through the control-byte filter of io. */
function streamer(ctx: Ctx, prompts: string[]) {
  const { io } = ctx;
  let current = -1;
  const head = (i: number) => `\n--- ${l10n.t('Test {0}', i + 1)} ---\n${l10n.t('Input: {0}', prompts[i])}\n`;
  return {
    onDelta: (i: number, d: string) => {
      if (i !== current) {
        current = i;
        io.stdout.write(`${head(i)}${l10n.t('Output:')} `);
      }
      io.stdout.write(d);
    },
    onDone: (i: number, r: { totalMs: number | null; ttftMs: number | null; elapsedMs: number; error: string | null }) => {
      if (current !== i) io.stdout.write(head(i));
      current = i;
      // a failed prompt has no latencies: say how long it took to fail, and why
      const line = r.error !== null || r.totalMs === null
        ? l10n.t('Failed after {0} s: {1}', (r.elapsedMs / 1000).toFixed(2), r.error ?? '-')
        : r.ttftMs === null
          ? l10n.t('Time: {0} s (no token)', (r.totalMs / 1000).toFixed(2))
          : l10n.t('Time: {0} s (first token after {1} ms)', (r.totalMs / 1000).toFixed(2), r.ttftMs.toFixed(0));
      io.stdout.write('\n' + line + '\n');
    },
  };
}

export const smokeCommand = defineCommand({
  name: 'smoke',
  summary: () => l10n.t('run the smoke prompts against a served model (streamed; TTFT, tokens, usage check)'),
  description: () => [
    l10n.t('Sends the smoke prompts (default: the four standard Chinese prompts) to /v1/chat/completions, streamed with'),
    l10n.t('stream_options.include_usage, shows each answer as it arrives and records time to first token, total time,'),
    l10n.t('prompt/completion tokens, finish reason and whether the reported usage adds up.'),
    l10n.t('--profile reaches the profile\'s server through a forwarded port; --endpoint takes any running OpenAI-compatible server.'),
  ],
  target: TARGET,
  options,
  exitCodes: () => l10n.t('Exit codes: 0 every prompt answered, 1 a prompt failed, 2 bad usage.'),
  async run(ctx) {
    const { values, io } = ctx;
    const plan = await planFor(ctx);
    try {
      let model = plan.model;
      if (!model) {
        try {
          const m = await listModels(plan.endpoint, { apiKey: values['api-key'] });
          if (m.ids.length === 0) throw new Error(l10n.t('the server lists no models'));
          model = m.ids[0];
        } catch (e) {
          io.stderr.write(l10n.t('cannot reach {0}: {1}', plan.endpoint, (e as Error).message) + '\n');
          return 1;
        }
      }
      const show = values.json ? undefined : streamer(ctx, plan.prompts);
      const rep = await runSmoke(
        plan.endpoint,
        plan.prompts,
        {
          model: model!, maxTokens: plan.maxTokens ?? 256, temperature: plan.temperature, apiKey: values['api-key'],
          requestTimeoutMs: plan.requestTimeoutS === undefined ? undefined : plan.requestTimeoutS * 1000,
          stallTimeoutMs: plan.stallTimeoutS === undefined ? undefined : plan.stallTimeoutS * 1000,
        },
        (i, d) => show?.onDelta(i, d),
        (i, r) => show?.onDone(i, r),
      );
      const checked = smokeReportSchema.parse(rep);
      if (values.json) io.stdout.write(JSON.stringify(checked, null, 2) + '\n');
      else printSummary(checked, io);
      return checked.failed === 0 && checked.results.length > 0 ? 0 : 1;
    } finally {
      await plan.close();
    }
  },
});

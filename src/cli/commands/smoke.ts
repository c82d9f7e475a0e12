import * as l10n from '@vscode/l10n';
import { DEFAULT_SMOKE_PROMPTS } from '../../core/profiles';
import { listModels, runSmoke, smokePassed, smokeReportSchema, type SmokeReport } from '../../core/smoke/client';
import type { ForwardedPort, Transport } from '../../core/transport/transport';
import { parse } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { loadProfile, openProfileTarget, profileOptions } from './serve';

const usage = () => [
  l10n.t('Usage: ascend-adapt smoke --profile NAME [--config FILE] [--host ALIAS | --local | --sim DIR] [--json]'),
  l10n.t('       ascend-adapt smoke --endpoint URL [--model NAME] [--prompt TEXT]... [--max-tokens N] [--json]'),
  '',
  l10n.t('Sends the smoke prompts (default: the four standard Chinese prompts) to /v1/chat/completions, streamed with'),
  l10n.t('stream_options.include_usage, shows each answer as it arrives and records time to first token, total time,'),
  l10n.t('prompt/completion tokens, finish reason and whether the reported usage adds up.'),
  l10n.t('--profile reaches the profile\'s server through a forwarded port; --endpoint takes any running OpenAI-compatible server.'),
  '',
  l10n.t('Exit codes: 0 every prompt answered, 1 a prompt failed, 2 bad usage.'),
].join('\n');

function printSummary(rep: SmokeReport, io: CliIO): void {
  const head = ['#', l10n.t('TTFT (ms)'), l10n.t('Total (ms)'), l10n.t('Prompt tok'), l10n.t('Completion tok'), l10n.t('Finish'), l10n.t('Usage'), l10n.t('Result')];
  const rows = rep.results.map((r, i) => [
    String(i + 1),
    r.ttftMs.toFixed(0),
    r.totalMs.toFixed(0),
    r.promptTokens === null ? '-' : String(r.promptTokens),
    r.completionTokens === null ? '-' : String(r.completionTokens),
    r.finishReason ?? '-',
    r.usageConsistent === null ? l10n.t('not reported') : r.usageConsistent ? l10n.t('consistent') : l10n.t('inconsistent'),
    smokePassed(r) ? l10n.t('passed') : l10n.t('failed'),
  ]);
  const w = head.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  io.stdout.write('\n');
  for (const r of [head, ...rows]) io.stdout.write(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
  for (const [i, r] of rep.results.entries()) {
    if (r.error) io.stdout.write(l10n.t('Prompt {0}: {1}', i + 1, r.error) + '\n');
    else if (r.usageConsistent === false) io.stdout.write(l10n.t('Prompt {0}: usage does not add up: {1}', i + 1, r.usageNote ?? '') + '\n');
  }
  io.stdout.write(l10n.t('{0}/{1} prompts passed{2}', rep.passed, rep.results.length, rep.simulated ? ` (${l10n.t('SIMULATED server')})` : '') + '\n');
}

export const smokeCommand: CliCommand = {
  name: 'smoke',
  summary: () => l10n.t('run the smoke prompts against a served model (streamed; TTFT, tokens, usage check)'),
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(args, {
      ...profileOptions,
      endpoint: { type: 'string' },
      model: { type: 'string' },
      prompt: { type: 'string', multiple: true },
      'max-tokens': { type: 'string' },
      'api-key': { type: 'string' },
      json: { type: 'boolean' },
    }, false);
    if (positionals.length) throw new UsageError(l10n.t('unexpected argument: {0}', positionals[0]));
    if ((values.endpoint === undefined) === (values.profile === undefined)) throw new UsageError(l10n.t('give either --profile NAME or --endpoint URL'));
    let maxTokens: number | undefined;
    if (values['max-tokens'] !== undefined) {
      maxTokens = Number(values['max-tokens']);
      if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new UsageError(l10n.t('--max-tokens wants a whole number of 1 or more'));
    }

    let endpoint: string;
    let model: string | undefined = values.model;
    let prompts: string[] = values.prompt ?? [...DEFAULT_SMOKE_PROMPTS];
    let temperature = 0;
    let transport: Transport | undefined;
    let forward: ForwardedPort | undefined;
    try {
      if (values.profile !== undefined) {
        if (values.model) throw new UsageError(l10n.t('--model goes with --endpoint; a profile names its model'));
        const profile = loadProfile(values, io);
        transport = await openProfileTarget(values, profile);
        forward = await transport.forwardPort(profile.port, '127.0.0.1');
        endpoint = `http://127.0.0.1:${forward.localPort}`;
        model = profile.servedModelName ?? profile.modelPath;
        if (!values.prompt) prompts = profile.smokePrompts;
        maxTokens ??= profile.smokeMaxTokens;
        temperature = profile.smokeTemperature;
      } else {
        endpoint = values.endpoint!;
      }
      if (!model) {
        try {
          const m = await listModels(endpoint, { apiKey: values['api-key'] });
          if (m.ids.length === 0) throw new Error(l10n.t('the server lists no models'));
          model = m.ids[0];
        } catch (e) {
          io.stderr.write(l10n.t('cannot reach {0}: {1}', endpoint, (e as Error).message) + '\n');
          return 1;
        }
      }

      const text = !values.json;
      let current = -1;
      const rep = await runSmoke(
        endpoint,
        prompts,
        { model, maxTokens: maxTokens ?? 256, temperature, apiKey: values['api-key'] },
        (i, d) => {
          if (!text) return;
          if (i !== current) {
            current = i;
            io.stdout.write(`\n--- ${l10n.t('Test {0}', i + 1)} ---\n${l10n.t('Input: {0}', prompts[i])}\n${l10n.t('Output:')} `);
          }
          io.stdout.write(d);
        },
        (i, r) => {
          if (!text) return;
          if (current !== i) io.stdout.write(`\n--- ${l10n.t('Test {0}', i + 1)} ---\n${l10n.t('Input: {0}', prompts[i])}\n`);
          current = i;
          io.stdout.write('\n' + l10n.t('Time: {0} s (first token after {1} ms)', (r.totalMs / 1000).toFixed(2), r.ttftMs.toFixed(0)) + '\n');
        },
      );
      const checked = smokeReportSchema.parse(rep);
      if (values.json) io.stdout.write(JSON.stringify(checked, null, 2) + '\n');
      else printSummary(checked, io);
      return checked.failed === 0 && checked.results.length > 0 ? 0 : 1;
    } finally {
      await forward?.close();
      await transport?.close();
    }
  },
};

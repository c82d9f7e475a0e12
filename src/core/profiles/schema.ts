import { z } from 'zod';

/**
 * The workspace file `ascend-adapt.json`: named launch profiles for `vllm serve` on an Atlas host, and the
 * smoke prompts run against them. One zod schema is the truth; `schemas/ascend-adapt.schema.json` (used by
 * VS Code's jsonValidation for completion and checking) is generated from it and kept in sync by a test.
 */

/** The four standard prompts of adaptation reports (推理测试), in their usual order. */
export const DEFAULT_SMOKE_PROMPTS: readonly string[] = Object.freeze([
  '你好,请介绍一下你自己',
  '什么是大语言模型?',
  '用Python写一个快速排序算法',
  '解释一下什么是transformer架构',
]);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const DTYPES = ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] as const;

/** Accuracy and perf of a validation run, as the run panel and `ascend-adapt validate --profile` take them. */
export const validationSchema = z
  .strictObject({
    accuracy: z
      .strictObject({
        tasks: z.array(z.string().min(1)).min(1).describe('Datasets: gsm8k, mmlu, math.'),
        dataDir: z.string().min(1).describe('Folder ON THE HOST with the dataset files.'),
        limit: z.int().min(1).optional().describe('Items per dataset.'),
        concurrency: z.int().min(1).optional().describe('Requests in flight.'),
        reference: z.string().min(1).optional().describe('GPU reference results on THIS machine, relative to ascend-adapt.json (or absolute).'),
      })
      .optional()
      .describe('Accuracy against a GPU reference; without it accuracy is recorded as not run.'),
    perf: z
      .union([
        z.literal(false),
        z.strictObject({
          concurrency: z.int().min(1).default(8).describe('Requests in flight.'),
          numPrompts: z.int().min(1).default(100).describe('Requests per run.'),
          inputLen: z.int().min(1).default(256).describe('Prompt length in tokens (random dataset).'),
          outputLen: z.int().min(1).default(128).describe('Answer length in tokens.'),
          requestRate: z.number().gt(0).optional().describe('Arrivals per second (Poisson); absent: all at once.'),
          baseline: z.string().min(1).optional().describe('GPU baseline on THIS machine, relative to ascend-adapt.json (or absolute).'),
        }),
      ])
      .optional()
      .describe('Performance run (false: leave it out; absent: 100 prompts at concurrency 8, 256 in / 128 out).'),
    workspace: z.array(z.string().min(1)).optional().describe('Files and folders of the port analysed for operator compatibility, relative to ascend-adapt.json (default: its folder).'),
  })
  .describe('What the validation of this profile measures.');
export type ValidationSettings = z.output<typeof validationSchema>;

/** The multi-node mechanisms vllm-ascend documents (one `vllm serve` spread over several hosts). */
export const MULTI_NODE_MODES = ['dp', 'ray', 'pp-mp'] as const;
export type MultiNodeMode = (typeof MULTI_NODE_MODES)[number];

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

export const nodeSchema = z.strictObject({
  host: z.string().min(1).describe('ssh_config Host alias of the node ("local" for this machine).'),
  address: z
    .string()
    .regex(IPV4, 'not an IPv4 address')
    .optional()
    .describe('IP address the other nodes reach this node at (HCCL_IF_IP; the head\'s is --data-parallel-address / --master-addr). Default: found on the node (the address on the interface that carries the route to the head).'),
  nic: z
    .string()
    .regex(IFNAME, 'not a network interface name')
    .optional()
    .describe('Network interface of that address (GLOO_SOCKET_IFNAME, TP_SOCKET_IFNAME, HCCL_SOCKET_IFNAME). Default: found on the node.'),
  devices: z.array(z.int().min(0)).min(1).optional().describe('NPUs of this node (ASCEND_RT_VISIBLE_DEVICES). Default: the first ones the node needs.'),
  simRoot: z.string().min(1).optional().describe('Path on this node of its simulated Atlas host (instead of the profile\'s simRoot).'),
});
export type NodeSpec = z.output<typeof nodeSchema>;

export const profileSchema = z
  .strictObject({
    description: z.string().optional().describe('Free text shown next to the profile name.'),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Where to serve: an ssh_config Host alias, or "local" for this machine. The CLI\'s --host/--local override it.'),
    simRoot: z
      .string()
      .min(1)
      .optional()
      .describe('Path ON THE HOST of a simulated Atlas host (made by `ascend-adapt sim create DIR`); its env.sh is sourced before launching. Results are marked simulated.'),
    modelPath: z.string().min(1).describe('Model folder on the host (holding config.json and the weights).'),
    servedModelName: z
      .string()
      .min(1)
      .optional()
      .describe('Name the OpenAI API serves the model under (--served-model-name). Default: the model path as given.'),
    tensorParallelSize: z.int().min(1).max(64).default(1).describe('--tensor-parallel-size (TP).'),
    pipelineParallelSize: z.int().min(1).max(64).default(1).describe('--pipeline-parallel-size (PP).'),
    dataParallelSize: z.int().min(1).max(64).default(1).describe('--data-parallel-size (DP).'),
    maxModelLen: z.int().min(1).optional().describe('--max-model-len: context length the server accepts.'),
    dtype: z.enum(DTYPES).optional().describe('--dtype. bfloat16 is what most Ascend tutorials use.'),
    quantization: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('--quantization, e.g. "ascend" for msModelSlim output. null or absent: let vLLM decide from config.json.'),
    quantize: z
      .strictObject({
        from: z.string().min(1).describe('The floating-point (BF16/FP16) checkpoint on the host that msModelSlim quantizes into modelPath.'),
        quantType: z.string().min(1).optional().describe('msmodelslim quant --quant_type (default w8a8).'),
        modelType: z.string().min(1).optional().describe('msmodelslim --model_type, e.g. Qwen3-30B (derived from config.json and the folder name when absent).'),
        replaces: z.string().min(1).optional().describe('The checkpoint this one replaces on Ascend (e.g. the GPTQ Int4 folder): named in the report\'s adaptation item.'),
        devices: z.array(z.int().min(0)).optional().describe('NPUs for the quantization (ASCEND_RT_VISIBLE_DEVICES; default [0]).'),
        yes: z.boolean().default(false).describe('Answer msModelSlim\'s "Enter y to continue" (use a default practice when none matches).'),
      })
      .optional()
      .describe('Quantize before serving: the validation\'s quantize step runs msModelSlim from "from" into modelPath when modelPath holds no checked output yet.'),
    validation: validationSchema
      .optional()
      .describe('What a validation of this profile measures (the VS Code run panel and tasks use it; the CLI\'s flags override it).'),
    profiling: z
      .strictObject({
        numPrompts: z.int().min(1).max(1000).default(8).describe('Requests of the short load while the profiler runs (traces grow fast: keep it small).'),
        inputLen: z.int().min(1).default(128).describe('Prompt length of the load, in tokens.'),
        outputLen: z.int().min(1).default(32).describe('Answer length of the load, in tokens.'),
        concurrency: z.int().min(1).max(1024).default(4).describe('Requests in flight during the load.'),
        withStack: z.boolean().default(false).describe('torch_profiler_with_stack: record Python call stacks (much larger traces).'),
        parseTimeoutSec: z.int().min(1).default(600).describe('Seconds to wait for every rank\'s ASCEND_PROFILER_OUTPUT after /stop_profile.'),
      })
      .optional()
      .describe('Profile the served model during validation: the server starts with --profiler-config, and a profile step after perf records where the NPU time goes and which operators fell back to the AI CPU.'),
    enforceEager: z.boolean().default(false).describe('--enforce-eager (no ACL graph capture).'),
    trustRemoteCode: z.boolean().default(false).describe('--trust-remote-code.'),
    gpuMemoryUtilization: z.number().gt(0).max(1).optional().describe('--gpu-memory-utilization (share of each NPU\'s HBM vLLM may use).'),
    port: z.int().min(1).max(65535).default(8000).describe('--port on the host. The endpoint is reached through a forwarded local port.'),
    bindAddress: z.string().min(1).optional().describe('--host given to vllm serve (the address it listens on). Default: vLLM\'s own.'),
    visibleDevices: z
      .array(z.int().min(0))
      .optional()
      .describe('NPUs to use, as ASCEND_RT_VISIBLE_DEVICES (logical device ids). Default: the first TP×PP×DP devices.'),
    env: z
      .record(z.string().regex(ENV_NAME, 'not a valid environment variable name'), z.string())
      .default({})
      .describe('Extra environment variables for the server (override the defaults Ascend Adapt sets).'),
    extraArgs: z.array(z.string()).default([]).describe('More vllm serve arguments, passed verbatim after the generated ones.'),
    vllmCommand: z
      .array(z.string().min(1))
      .min(1)
      .default(['vllm'])
      .describe('How to run vLLM on the host, as argv, e.g. ["vllm"] or ["python3", "-m", "vllm.entrypoints.cli.main"].'),
    multiNode: z
      .enum(MULTI_NODE_MODES)
      .optional()
      .describe('Serve one model over several Atlas hosts ("nodes"), with vLLM\'s own mechanism: "dp" multi-node data parallel (--headless workers), "ray" (ray start on every node, vllm serve on the head), "pp-mp" pipeline parallel with the mp backend (--nnodes/--node-rank/--master-addr).'),
    nodes: z
      .array(nodeSchema)
      .min(2)
      .optional()
      .describe('The hosts of a multi-node profile, in order: node 0 is the head (it serves the API), the others are workers.'),
    dataParallelSizeLocal: z
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe('--data-parallel-size-local: DP ranks on each node (multiNode "dp"). Default: dataParallelSize / number of nodes.'),
    dataParallelRpcPort: z.int().min(1).max(65535).default(13389).describe('--data-parallel-rpc-port, the same on every node (multiNode "dp").'),
    masterPort: z.int().min(1).max(65535).default(29500).describe('--master-port on every node (multiNode "pp-mp").'),
    rayPort: z.int().min(1).max(65535).default(6379).describe('Port of the Ray head (ray start --head --port; the workers\' --address) (multiNode "ray").'),
    rayCommand: z
      .array(z.string().min(1))
      .min(1)
      .default(['ray'])
      .describe('How to run Ray\'s CLI on the nodes, as argv (multiNode "ray").'),
    enableExpertParallel: z.boolean().default(false).describe('--enable-expert-parallel (MoE experts spread over the ranks).'),
    smokePrompts: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_SMOKE_PROMPTS])
      .describe('Prompts for the smoke test (default: the four standard Chinese prompts).'),
    smokeMaxTokens: z.int().min(1).default(256).describe('max_tokens for each smoke prompt.'),
    smokeTemperature: z.number().min(0).max(2).default(0).describe('temperature for the smoke prompts (0 = greedy).'),
    readyTimeoutSec: z.int().min(1).default(1800).describe('How long to wait for the server to become ready before calling the launch failed.'),
    requestTimeoutSec: z
      .number()
      .gt(0)
      .optional()
      .describe('Smoke, accuracy and perf: seconds one request may take in all before it fails (default: no limit). The CLI\'s --request-timeout overrides it.'),
    stallTimeoutSec: z
      .number()
      .gt(0)
      .default(60)
      .describe('Smoke, accuracy and perf: seconds without a byte from the server before a request fails ("no data for S s"). The CLI\'s --stall-timeout overrides it.'),
  })
  .superRefine(checkMultiNode)
  .describe('A launch profile for vllm serve.')
  .meta({
    // VS Code's JSON completion offers this skeleton for a new profile.
    defaultSnippets: [
      {
        label: 'New serving profile',
        body: {
          host: '${1:atlas}',
          modelPath: '${2:/data/models/Qwen3-8B}',
          servedModelName: '${3:qwen3-8b}',
          tensorParallelSize: 1,
          maxModelLen: 8192,
          dtype: 'bfloat16',
          port: 8000,
        },
      },
    ],
  });

/** A multi-node profile names its mode and at least two distinct nodes; a single-host one has neither. */
function checkMultiNode(p: { multiNode?: MultiNodeMode; nodes?: NodeSpec[]; dataParallelSizeLocal?: number }, ctx: z.RefinementCtx): void {
  if (p.multiNode && !p.nodes) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'a multiNode profile lists its nodes (node 0 is the head)' });
  if (p.nodes && !p.multiNode) ctx.addIssue({ code: 'custom', path: ['multiNode'], message: 'nodes need a multiNode mechanism: "dp", "ray" or "pp-mp"' });
  const seen = new Set<string>();
  for (const [i, n] of (p.nodes ?? []).entries()) {
    if (seen.has(n.host)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'host'], message: `${n.host} is listed twice` });
    seen.add(n.host);
  }
  if (p.dataParallelSizeLocal !== undefined && p.multiNode !== undefined && p.multiNode !== 'dp') {
    ctx.addIssue({ code: 'custom', path: ['dataParallelSizeLocal'], message: 'dataParallelSizeLocal belongs to multiNode "dp"' });
  }
}

export const configSchema = z
  .looseObject({
    $schema: z.string().optional(),
    profiles: z
      .record(z.string().min(1).regex(/^[^\s]+$/, 'profile names cannot contain spaces'), profileSchema)
      .default({})
      .describe('Named launch profiles.'),
  })
  .describe('Ascend Adapt workspace configuration (ascend-adapt.json).');

/** A profile as written in the file (defaults not yet applied). */
export type ProfileInput = z.input<typeof profileSchema>;
/** A profile with every default applied. */
export type Profile = z.output<typeof profileSchema>;
export type AscendAdaptConfig = z.output<typeof configSchema>;

/** A profile plus its name (what the faces pass around). */
export interface NamedProfile extends Profile {
  name: string;
}

/** The JSON Schema for `ascend-adapt.json` (JSON Schema draft-07), as contributed through jsonValidation. */
export function configJsonSchema(): Record<string, unknown> {
  // draft-07: the dialect VS Code's JSON language service understands fully.
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'ascend-adapt.json',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

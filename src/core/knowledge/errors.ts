import { z } from 'zod';
import { BilingualSchema, currentLanguage, pick, type Lang } from '../l10n';

/**
 * Known failures of vLLM / vllm-ascend / torch_npu / CANN / HCCL, as they appear in server logs, with a
 * plain explanation and the likely fix in English and 简体中文. Knowledge is data: one row per failure, a
 * source per row (issue URL or repository path), validated with zod when the module loads.
 *
 * Rows are tried in order; more specific rows come first (e.g. the SocVersion variant of 500001 before
 * the bare 500001). `fatal` rows mean the server cannot come up; the serving job turns them into `failed`.
 */

const text = BilingualSchema;

export const knownErrorSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** Error codes this row stands for (EZ9999, 507011 …); empty when the failure has none. */
  codes: z.array(z.string()),
  /** JavaScript regular expression source, tested against one log line. */
  pattern: z.string().min(1),
  severity: z.enum(['fatal', 'error', 'warning']),
  title: text,
  explanation: text,
  fix: text,
  source: z.string().min(1),
});
export type KnownError = z.infer<typeof knownErrorSchema>;

const VA = 'https://github.com/vllm-project/vllm-ascend';

const rows: KnownError[] = [
  {
    id: 'npu-oom',
    codes: [],
    pattern: 'NPU out of memory\\. Tried to allocate',
    severity: 'fatal',
    title: { en: 'NPU out of memory', zh: 'NPU 显存不足' },
    explanation: {
      en: 'The model weights, activations or KV cache do not fit in the HBM left on the device named in the message.',
      zh: '模型权重、激活或 KV cache 超出了报错中所指设备剩余的显存（HBM）。',
    },
    fix: {
      en: 'Raise --tensor-parallel-size (more NPUs share the weights), lower --max-model-len or --gpu-memory-utilization, set PYTORCH_NPU_ALLOC_CONF=expandable_segments:True, and check with npu-smi info that no other process holds the devices.',
      zh: '增大 --tensor-parallel-size（更多 NPU 分担权重），降低 --max-model-len 或 --gpu-memory-utilization，设置 PYTORCH_NPU_ALLOC_CONF=expandable_segments:True，并用 npu-smi info 确认没有其他进程占用这些设备。',
    },
    source: `${VA}/issues/1127`,
  },
  {
    id: 'kv-cache-too-small',
    codes: [],
    pattern: 'larger than the available KV cache memory|No available memory for the cache blocks',
    severity: 'fatal',
    title: { en: 'No room for the KV cache', zh: 'KV cache 空间不足' },
    explanation: {
      en: 'After loading the weights, the memory vLLM may use is too small to hold the KV cache for one request of max-model-len tokens.',
      zh: '加载权重后，vLLM 可用的显存不足以容纳一条 max-model-len 长度请求的 KV cache。',
    },
    fix: {
      en: 'Lower --max-model-len, raise --gpu-memory-utilization (e.g. 0.9) or use more NPUs (--tensor-parallel-size).',
      zh: '降低 --max-model-len，提高 --gpu-memory-utilization（如 0.9），或使用更多 NPU（--tensor-parallel-size）。',
    },
    source: 'https://github.com/vllm-project/vllm (vllm/v1/core/kv_cache_utils.py)',
  },
  {
    id: 'libatb-missing',
    codes: [],
    pattern: 'libatb\\.so: cannot open shared object file',
    severity: 'fatal',
    title: { en: 'libatb.so not found (NNAL/ATB not sourced)', zh: '找不到 libatb.so（未 source NNAL/ATB 环境）' },
    explanation: {
      en: 'torch_npu needs the ATB library from the NNAL package; its set_env.sh was not sourced (or NNAL is not installed), so torch_npu cannot be imported.',
      zh: 'torch_npu 依赖 NNAL 包中的 ATB 库；未 source 其 set_env.sh（或未安装 NNAL），导致 torch_npu 无法导入。',
    },
    fix: {
      en: 'source /usr/local/Ascend/ascend-toolkit/set_env.sh and source /usr/local/Ascend/nnal/atb/set_env.sh before starting vLLM (install NNAL if the file is missing).',
      zh: '启动 vLLM 前执行 source /usr/local/Ascend/ascend-toolkit/set_env.sh 和 source /usr/local/Ascend/nnal/atb/set_env.sh（若文件不存在请安装 NNAL）。',
    },
    source: `${VA}/issues/152`,
  },
  {
    id: 'no-platform',
    codes: [],
    pattern: 'No platform detected, vLLM is running on UnspecifiedPlatform|Failed to infer device type',
    severity: 'error',
    title: { en: 'vLLM found no NPU platform', zh: 'vLLM 未识别到 NPU 平台' },
    explanation: {
      en: 'The vllm-ascend plugin did not register the NPU platform, usually because torch_npu failed to import (CANN/NNAL environment not sourced) or vllm-ascend is not installed.',
      zh: 'vllm-ascend 插件未能注册 NPU 平台，通常是 torch_npu 导入失败（未 source CANN/NNAL 环境）或未安装 vllm-ascend。',
    },
    fix: {
      en: 'Source the CANN and NNAL set_env.sh files, then check `python -c "import torch_npu"` and `pip show vllm-ascend` on the host.',
      zh: 'source CANN 与 NNAL 的 set_env.sh，然后在主机上检查 `python -c "import torch_npu"` 与 `pip show vllm-ascend`。',
    },
    source: `${VA}/issues/152`,
  },
  {
    id: 'cann-socversion',
    codes: ['500001', 'EH9999'],
    pattern: 'init runtime platform info failed, SocVersion',
    severity: 'fatal',
    title: { en: 'CANN cannot initialise this chip (500001 / EH9999)', zh: 'CANN 无法初始化该芯片（500001 / EH9999）' },
    explanation: {
      en: 'The CANN toolkit in use does not match the driver or the torch_npu/vllm-ascend build (e.g. an old host CANN under a newer vllm-ascend image).',
      zh: '所用 CANN 与驱动或 torch_npu/vllm-ascend 版本不匹配（例如主机上的旧 CANN 搭配较新的 vllm-ascend 镜像）。',
    },
    fix: {
      en: 'Install the CANN version the vllm-ascend release requires (see the compatibility matrix in the environment check) and source its set_env.sh.',
      zh: '安装该 vllm-ascend 版本要求的 CANN（见环境检查中的兼容性矩阵），并 source 其 set_env.sh。',
    },
    source: `${VA}/issues/564`,
  },
  {
    id: 'acl-500001',
    codes: ['500001'],
    pattern: 'error code is 500001',
    severity: 'fatal',
    title: { en: 'ACL call failed (500001)', zh: 'ACL 接口调用失败（500001）' },
    explanation: {
      en: 'An Ascend Computing Language call inside torch_npu failed; the lines after it (EH9999/EZ9999 …) carry the reason.',
      zh: 'torch_npu 内部的 ACL 接口调用失败；其后的 EH9999/EZ9999 等行给出原因。',
    },
    fix: {
      en: 'Read the next E…9999 line for the cause; most often the CANN version does not match torch_npu, or the device is unhealthy (npu-smi info).',
      zh: '查看其后的 E…9999 行确定原因；常见为 CANN 与 torch_npu 版本不匹配，或设备状态异常（npu-smi info）。',
    },
    source: `${VA}/issues/564`,
  },
  {
    id: 'hccl-listen-fail',
    codes: [],
    pattern: '\\[HcclSocket\\]\\[Listen\\].*fail|listen on ip\\[[^\\]]*\\] and specific port\\[\\d+\\] fail',
    severity: 'fatal',
    title: { en: 'HCCL cannot listen on its port', zh: 'HCCL 无法监听端口' },
    explanation: {
      en: 'HCCL could not open its listening socket: the port is taken (often by a leftover process of an earlier run) or the IP is not on this node.',
      zh: 'HCCL 无法打开监听端口：端口已被占用（常见为上次运行残留的进程），或 IP 不属于本节点。',
    },
    fix: {
      en: 'Stop leftover vLLM/python processes (npu-smi info lists them), check HCCL_IF_IP / HCCL_SOCKET_IFNAME, then start again.',
      zh: '结束残留的 vLLM/python 进程（npu-smi info 可列出），检查 HCCL_IF_IP / HCCL_SOCKET_IFNAME 后重新启动。',
    },
    source: `${VA}/issues/1955`,
  },
  {
    id: 'hccl-link-timeout',
    codes: [],
    pattern: 'wait socket establish timeout|\\[LinksEstablishCompleted\\] is failed',
    severity: 'fatal',
    title: { en: 'HCCL link establishment timed out', zh: 'HCCL 建链超时' },
    explanation: {
      en: 'Ranks could not connect to each other within the HCCL connect timeout: a peer did not start, is stuck, or the NPU network between nodes is down.',
      zh: '各 rank 在 HCCL 建链超时时间内未能互连：对端未启动或卡住，或节点间 NPU 网络不通。',
    },
    fix: {
      en: 'Check every rank\'s log for an earlier error, check links with `hccn_tool -i N -link -g` and `-net_health -g`, and raise HCCL_CONNECT_TIMEOUT (e.g. 900) when start-up is slow.',
      zh: '查看每个 rank 日志中更早的报错，用 `hccn_tool -i N -link -g` 与 `-net_health -g` 检查链路；启动较慢时调大 HCCL_CONNECT_TIMEOUT（如 900）。',
    },
    source: `${VA}/issues/1955`,
  },
  {
    id: 'hccl-ei0006',
    codes: ['EI0006'],
    pattern: '\\bEI0006\\b|Getting socket times out',
    severity: 'fatal',
    title: { en: 'HCCL socket timeout (EI0006)', zh: 'HCCL 获取 socket 超时（EI0006）' },
    explanation: {
      en: 'A collective operation waited longer than the connect timeout (120 s by default) for a remote rank: the peer is stuck or failed, or the link is broken.',
      zh: '集合通信等待远端 rank 超过建链超时（默认 120 秒）：对端卡住或已失败，或链路中断。',
    },
    fix: {
      en: 'Find the rank that failed first; check TLS and links with `hccn_tool -i N -tls -g`; raise HCCL_CONNECT_TIMEOUT when start-up is just slow.',
      zh: '找到最先出错的 rank；用 `hccn_tool -i N -tls -g` 检查 TLS 与链路；若只是启动慢，调大 HCCL_CONNECT_TIMEOUT。',
    },
    source: `${VA}/issues/5461`,
  },
  {
    id: 'aicore-exception',
    codes: ['EL0003'],
    pattern: 'fftsplus aicore error|\\bEL0003\\b',
    severity: 'error',
    title: { en: 'AI Core exception on the device (EL0003)', zh: '设备 AI Core 异常（EL0003）' },
    explanation: {
      en: 'An operator failed on the NPU\'s AI Core, usually an operator called with shapes or arguments it does not support.',
      zh: '算子在 NPU 的 AI Core 上执行失败，通常是以不支持的 shape 或参数调用了算子。',
    },
    fix: {
      en: 'Re-run with ASCEND_LAUNCH_BLOCKING=1 to find the operator, try --enforce-eager, and check the operator\'s constraints (operator compatibility analysis).',
      zh: '设置 ASCEND_LAUNCH_BLOCKING=1 重新运行以定位算子，尝试 --enforce-eager，并核对该算子的约束（算子兼容性分析）。',
    },
    source: `${VA}/issues/8360`,
  },
  {
    id: 'acl-507011',
    codes: ['507011'],
    pattern: 'error code is 507011',
    severity: 'error',
    title: { en: 'Device task failed earlier (507011)', zh: '设备任务此前已失败（507011）' },
    explanation: {
      en: 'torch_npu found a failed event while synchronising: an earlier device error (often an AI Core exception) is the real cause.',
      zh: 'torch_npu 在同步时发现失败的事件：真正原因是更早的设备错误（常为 AI Core 异常）。',
    },
    fix: {
      en: 'Look for the first EL0003 / aicore error in the log; set ASCEND_LAUNCH_BLOCKING=1 to make the failing operator report itself.',
      zh: '在日志中查找第一条 EL0003 / aicore 错误；设置 ASCEND_LAUNCH_BLOCKING=1 使出错算子直接报错。',
    },
    source: `${VA}/issues/8360`,
  },
  {
    id: 'hccl-watchdog',
    codes: ['ERR02005'],
    pattern: 'HCCL watchdog thread terminated|\\bERR02005\\b',
    severity: 'error',
    title: { en: 'HCCL watchdog stopped the process', zh: 'HCCL watchdog 终止了进程' },
    explanation: {
      en: 'A collective operation failed or hung, and the HCCL watchdog ended the rank. The first device error above it is the cause.',
      zh: '集合通信失败或卡住，HCCL watchdog 结束了该 rank。其上方第一条设备错误才是根因。',
    },
    fix: {
      en: 'Look above for the first AI Core / device error (507011, EL0003, EZ9999) and fix that.',
      zh: '向上查找第一条 AI Core / 设备错误（507011、EL0003、EZ9999）并处理。',
    },
    source: `${VA}/issues/8360`,
  },
  {
    id: 'device-open-507033',
    codes: ['507033', 'E39007'],
    pattern: 'error code is 507033|\\bE39007\\b',
    severity: 'fatal',
    title: { en: 'Cannot open the NPU (507033 / E39007)', zh: '无法打开 NPU（507033 / E39007）' },
    explanation: {
      en: 'The device the process asked for is not available to it: ASCEND_RT_VISIBLE_DEVICES does not match the devices mounted into the container (ASCEND_VISIBLE_DEVICES / --device).',
      zh: '进程请求的设备不可用：ASCEND_RT_VISIBLE_DEVICES 与容器内挂载的设备（ASCEND_VISIBLE_DEVICES / --device）不一致。',
    },
    fix: {
      en: 'Make ASCEND_RT_VISIBLE_DEVICES name devices that exist inside the container (logical ids from 0), matching the /dev/davinciN mounted.',
      zh: '使 ASCEND_RT_VISIBLE_DEVICES 只包含容器内存在的设备（从 0 开始的逻辑编号），与挂载的 /dev/davinciN 一致。',
    },
    source: 'https://github.com/Project-HAMi/HAMi/issues/1894',
  },
  {
    id: 'aclnn-561002',
    codes: ['561002', '561103'],
    pattern: '\\b561002\\b|\\b561103\\b',
    severity: 'error',
    title: { en: 'aclnn operator call failed (561002 / 561103)', zh: 'aclnn 算子调用失败（561002 / 561103）' },
    explanation: {
      en: 'An aclnn operator rejected its inputs (shape, dtype or layout outside what the operator supports on this chip).',
      zh: 'aclnn 算子拒绝了输入（shape、dtype 或排布超出该芯片上算子支持的范围）。',
    },
    fix: {
      en: 'Note the operator named in the message and check its constraints; try --enforce-eager; report it with the CANN/torch_npu versions.',
      zh: '记下报错中的算子并核对其约束；尝试 --enforce-eager；附上 CANN/torch_npu 版本反馈问题。',
    },
    source: `${VA}/issues/5695`,
  },
  {
    id: 'aclgraph-507903',
    codes: ['507903'],
    pattern: '\\b507903\\b',
    severity: 'fatal',
    title: { en: 'ACL graph capture failed (507903)', zh: 'ACL graph 捕获失败（507903）' },
    explanation: {
      en: 'Capturing the ACL graph was invalidated, often by collectives scheduled on the AI CPU.',
      zh: 'ACL graph 捕获被打断，常因集合通信调度在 AI CPU 上。',
    },
    fix: {
      en: 'Set HCCL_OP_EXPANSION_MODE=AIV, or serve with --enforce-eager.',
      zh: '设置 HCCL_OP_EXPANSION_MODE=AIV，或使用 --enforce-eager 启动服务。',
    },
    source: `${VA} (.agents/skills/vllm-ascend-model-adapter/references/troubleshooting.md)`,
  },
  {
    id: 'op-inner-ez9999',
    codes: ['EZ9999'],
    pattern: '\\bEZ9999\\b',
    severity: 'error',
    title: { en: 'Operator inner error (EZ9999)', zh: '算子内部错误（EZ9999）' },
    explanation: {
      en: 'An operator plug-in rejected the call; the message names the constraint, e.g. MLA with graph mode needs num_heads/num_kv_heads in {32, 64, 128}.',
      zh: '算子插件拒绝了调用；报错会说明约束，例如 MLA 图模式要求 num_heads/num_kv_heads 属于 {32, 64, 128}。',
    },
    fix: {
      en: 'Read the constraint in the message; try --enforce-eager or a TP size that keeps the head ratio supported.',
      zh: '阅读报错中的约束；尝试 --enforce-eager，或换一个使头数比例受支持的 TP。',
    },
    source: `${VA} (docs/source/faqs.md)`,
  },
  {
    id: 'tiling-e69999',
    codes: ['E69999'],
    pattern: '\\bE69999\\b',
    severity: 'error',
    title: { en: 'Operator tiling failed (E69999)', zh: '算子 tiling 失败（E69999）' },
    explanation: {
      en: 'The operator could not be tiled for these inputs on this chip (e.g. QuantBatchMatmulV3 on 310P only supports transpose_x2=true).',
      zh: '该算子无法在此芯片上为这些输入做 tiling（例如 310P 上 QuantBatchMatmulV3 只支持 transpose_x2=true）。',
    },
    fix: {
      en: 'Check that the quantized weights were produced for this chip (msModelSlim with the right target) and that the vllm-ascend version supports it.',
      zh: '确认量化权重是针对该芯片生成的（msModelSlim 选择正确目标），且该 vllm-ascend 版本支持。',
    },
    source: `${VA}/issues/1736`,
  },
  {
    id: 'inner-eh9999',
    codes: ['EH9999'],
    pattern: '\\bEH9999\\b',
    severity: 'error',
    title: { en: 'CANN inner error (EH9999)', zh: 'CANN 内部错误（EH9999）' },
    explanation: {
      en: 'CANN reported an internal failure; the lines after it say which component (GE, compiler, runtime) failed.',
      zh: 'CANN 报告内部错误；其后的行说明是哪个组件（GE、编译器、运行时）失败。',
    },
    fix: {
      en: 'Check the CANN version against vllm-ascend\'s compatibility matrix and the ascend logs under ~/ascend/log.',
      zh: '对照 vllm-ascend 兼容性矩阵检查 CANN 版本，并查看 ~/ascend/log 下的日志。',
    },
    source: `${VA}/issues/564`,
  },
  {
    id: 'quant-not-supported',
    codes: [],
    pattern: 'quantization is currently not supported in npu',
    severity: 'fatal',
    title: { en: 'Quantization format not supported on NPU', zh: 'NPU 不支持该量化格式' },
    explanation: {
      en: 'The checkpoint uses a CUDA-only quantization (GPTQ, AWQ, Marlin, bitsandbytes …) that vllm-ascend cannot load.',
      zh: '该权重使用仅 CUDA 支持的量化格式（GPTQ、AWQ、Marlin、bitsandbytes 等），vllm-ascend 无法加载。',
    },
    fix: {
      en: 'Serve the BF16 checkpoint, or re-quantize with ModelSlim (W8A8 / W4A16) and serve with --quantization ascend.',
      zh: '改用 BF16 权重，或使用 ModelSlim 重新量化（W8A8 / W4A16）并以 --quantization ascend 启动。',
    },
    source: `${VA} (vllm_ascend/platform.py, supported_quantization)`,
  },
  {
    id: 'modelslim-description-missing',
    codes: [],
    pattern: 'ModelSlim Quantization Config Not Found',
    severity: 'fatal',
    title: { en: 'quant_model_description.json missing', zh: '缺少 quant_model_description.json' },
    explanation: {
      en: '--quantization ascend needs the quant_model_description.json written by msModelSlim next to the weights.',
      zh: '--quantization ascend 需要 msModelSlim 生成的 quant_model_description.json 与权重放在一起。',
    },
    fix: {
      en: 'Copy quant_model_description.json from the msModelSlim output into the model folder, or drop --quantization ascend for a float checkpoint.',
      zh: '将 msModelSlim 输出中的 quant_model_description.json 复制到模型目录；若是浮点权重则去掉 --quantization ascend。',
    },
    source: `${VA} (vllm_ascend/quantization/modelslim_config.py)`,
  },
  {
    id: 'port-in-use',
    codes: [],
    pattern: '\\[Errno 98\\]|[Aa]ddress already in use',
    severity: 'fatal',
    title: { en: 'Port already in use', zh: '端口已被占用' },
    explanation: {
      en: 'Another process (often an earlier server that was not stopped) already listens on the port given to vllm serve.',
      zh: '已有其他进程（常为未停止的上一个服务）在监听 vllm serve 所用的端口。',
    },
    fix: {
      en: 'Stop the other server (Jobs view → Stop, or `ascend-adapt jobs stop`), or choose another port in the profile.',
      zh: '停止另一个服务（任务视图 → 停止，或 `ascend-adapt jobs stop`），或在配置中更换端口。',
    },
    source: 'https://github.com/vllm-project/vllm (vllm/entrypoints/openai/api_server.py)',
  },
  {
    id: 'model-path-invalid',
    codes: [],
    pattern: 'Invalid repository ID or local directory specified|does not appear to have a file named config\\.json|Repo id must be in the form',
    severity: 'fatal',
    title: { en: 'Model path not found', zh: '模型路径不存在' },
    explanation: {
      en: 'The model argument is neither a folder on the host with a config.json nor a model id that can be downloaded (Atlas hosts are usually offline).',
      zh: '模型参数既不是主机上含 config.json 的目录，也不是可下载的模型 ID（Atlas 服务器通常离线）。',
    },
    fix: {
      en: 'Set modelPath in the profile to the absolute path of the model folder on the host.',
      zh: '将配置中的 modelPath 设置为模型目录在主机上的绝对路径。',
    },
    source: 'https://github.com/vllm-project/vllm (vllm/transformers_utils/config.py)',
  },
  {
    id: 'max-model-len-too-long',
    codes: [],
    pattern: 'max_model_len \\(\\d+\\) is greater than the derived max_model_len',
    severity: 'fatal',
    title: { en: 'max-model-len longer than the model supports', zh: 'max-model-len 超过模型支持的长度' },
    explanation: {
      en: 'The requested context length exceeds max_position_embeddings (and RoPE scaling) in config.json.',
      zh: '请求的上下文长度超过 config.json 中的 max_position_embeddings（含 RoPE 缩放）。',
    },
    fix: {
      en: 'Lower --max-model-len to the model\'s limit.',
      zh: '将 --max-model-len 降到模型上限以内。',
    },
    source: 'https://github.com/vllm-project/vllm (vllm/config/model.py)',
  },
  {
    id: 'vllm-not-found',
    codes: [],
    pattern: "(?:\\bexec: |: )\\S*vllm\\S*: (?:command )?not found|No such file or directory: '[^']*vllm[^']*'",
    severity: 'fatal',
    title: { en: 'vllm command not found', zh: '找不到 vllm 命令' },
    explanation: {
      en: 'The host has no `vllm` on the PATH of a non-interactive login: vLLM is not installed there, or it lives in a venv/conda environment that is not activated.',
      zh: '主机非交互登录的 PATH 中没有 `vllm`：未安装 vLLM，或它位于未激活的 venv/conda 环境中。',
    },
    fix: {
      en: 'Set "vllmCommand" in the profile to the full path (e.g. ["/opt/venv/bin/vllm"] or ["/usr/bin/python3", "-m", "vllm.entrypoints.cli.main"]).',
      zh: '在配置中把 "vllmCommand" 设为完整路径（如 ["/opt/venv/bin/vllm"] 或 ["/usr/bin/python3", "-m", "vllm.entrypoints.cli.main"]）。',
    },
    source: 'https://github.com/vllm-project/vllm-ascend (docs/source/installation.md)',
  },
  {
    id: 'engine-core-failed',
    codes: [],
    pattern: 'Engine core initialization failed|Engine process failed to start',
    severity: 'fatal',
    title: { en: 'vLLM engine failed to start', zh: 'vLLM 引擎启动失败' },
    explanation: {
      en: 'The engine process died while starting; the real cause is the first error printed above this line.',
      zh: '引擎进程在启动时退出；真正原因是此行之上打印的第一条错误。',
    },
    fix: {
      en: 'Look at the first recognised error above (out of memory, HCCL, CANN) and fix that one.',
      zh: '查看上方第一条被识别的错误（显存不足、HCCL、CANN）并处理。',
    },
    source: 'https://github.com/vllm-project/vllm (vllm/v1/engine/utils.py)',
  },
];

export const KNOWN_ERRORS: readonly KnownError[] = Object.freeze(z.array(knownErrorSchema).parse(rows));

const compiled = KNOWN_ERRORS.map((row) => ({ row, re: new RegExp(row.pattern) }));
const rank = (row: KnownError) => KNOWN_ERRORS.indexOf(row);

// One alternation of every pattern: most log lines match none, and this rejects them in one pass.
const any = new RegExp(KNOWN_ERRORS.map((r) => `(?:${r.pattern})`).join('|'));

/** The first known failure a log line shows, or undefined. */
export function recogniseLine(line: string): KnownError | undefined {
  if (!any.test(line)) return undefined;
  for (const { row, re } of compiled) if (re.test(line)) return row;
  return undefined;
}

export interface LocalizedError {
  id: string;
  codes: string[];
  severity: KnownError['severity'];
  title: string;
  explanation: string;
  fix: string;
  source: string;
}

/** The row's texts in the current language (zh-CN or English). */
export function localize(row: KnownError, lang: Lang = currentLanguage()): LocalizedError {
  return {
    id: row.id,
    codes: row.codes,
    severity: row.severity,
    title: pick(row.title, lang),
    explanation: pick(row.explanation, lang),
    fix: pick(row.fix, lang),
    source: row.source,
  };
}

/** One recognised failure in a log: where it was first seen and how often. */
export interface LogFinding {
  error: KnownError;
  /** 1-based line number of the first occurrence. */
  line: number;
  /** Byte offset (in the whole log) where that line starts. */
  offset: number;
  text: string;
  count: number;
}

/**
 * Recognises known failures in a log as it streams, line by line. Feed it chunks in order (any split,
 * including mid-UTF-8 sequence); it reports each failure the first time it appears.
 */
export class LogWatcher {
  private pending: Buffer = Buffer.alloc(0);
  private lineNo = 0;
  private offset = 0;
  private readonly byId = new Map<string, LogFinding>();
  readonly findings: LogFinding[] = [];

  constructor(private readonly onFinding?: (f: LogFinding) => void, startOffset = 0) {
    this.offset = startOffset;
  }

  /** Feed the next bytes; returns the findings first seen in them. */
  feed(chunk: Buffer | string): LogFinding[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.pending = this.pending.length ? Buffer.concat([this.pending, buf]) : buf;
    const found: LogFinding[] = [];
    let start = 0;
    for (;;) {
      const nl = this.pending.indexOf(0x0a, start);
      if (nl < 0) break;
      const f = this.line(this.pending.subarray(start, nl));
      if (f) found.push(f);
      start = nl + 1;
    }
    this.pending = this.pending.subarray(start);
    return found;
  }

  /** The log ended: look at a last line without a newline. */
  end(): LogFinding[] {
    if (this.pending.length === 0) return [];
    const f = this.line(this.pending);
    this.pending = Buffer.alloc(0);
    return f ? [f] : [];
  }

  /**
   * The likeliest root cause: among fatal findings (else all), the one whose row comes first in the table
   * (rows are ordered most specific first, so "engine failed to start" never hides the OOM above it).
   */
  primary(): LogFinding | undefined {
    const fatal = this.findings.filter((f) => f.error.severity === 'fatal');
    const pool = fatal.length ? fatal : this.findings;
    let best: LogFinding | undefined;
    for (const f of pool) if (!best || rank(f.error) < rank(best.error)) best = f;
    return best;
  }

  private line(bytes: Buffer): LogFinding | undefined {
    const at = this.offset;
    this.offset += bytes.length + 1;
    this.lineNo++;
    const text = bytes.toString('utf8').replace(/\r$/, '');
    const row = recogniseLine(text);
    if (!row) return undefined;
    const seen = this.byId.get(row.id);
    if (seen) {
      seen.count++;
      return undefined;
    }
    const f: LogFinding = { error: row, line: this.lineNo, offset: at, text, count: 1 };
    this.byId.set(row.id, f);
    this.findings.push(f);
    this.onFinding?.(f);
    return f;
  }
}

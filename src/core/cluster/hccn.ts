import type { ProbeData } from '../probe/schema';

/**
 * hccn_tool's answers, parsed. The formats are the published ones (mind-cluster
 * docs/en/faultdiag/user_guide/03_collecting_logs.md and component/ascend-common/devmanager/hccn/hccn_tool.go):
 *
 *   link status: UP                         (or DOWN)
 *   net health status: Init                 (Success or Init are healthy — mind-cluster's rule; Fault is not)
 *   ipaddr:10.xx.xx.10 / netmask:255.255.255.0
 *   dev_id:0, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), tls alarm …
 *
 * No authoritative sample of `-ping -g` was found: its summary is read as ping(8)'s
 * ("N packets transmitted, M received"), with the exit code as the fallback.
 */

export const HCCN_SOURCE = 'https://github.com/vllm-project/vllm-ascend/blob/main/docs/source/installation.md';

export function parseLink(out: string): string | null {
  return /link status:\s*(\w+)/i.exec(out)?.[1]?.toUpperCase() ?? null;
}

export function parseNetHealth(out: string): string | null {
  return /net health status:\s*(\w+)/i.exec(out)?.[1] ?? null;
}

export function netHealthy(status: string | null): boolean {
  return status !== null && /^(success|init)$/i.test(status);
}

export interface NpuIp {
  address: string;
  netmask: string | null;
}

export function parseIp(out: string): NpuIp | null {
  const a = /ipaddr:\s*(\S+)/i.exec(out)?.[1];
  if (!a) return null;
  return { address: a, netmask: /netmask:\s*(\S+)/i.exec(out)?.[1] ?? null };
}

export interface TlsState {
  switch: number;
  preconfigured: number | null;
}

export function parseTls(out: string): TlsState | null {
  const s = /tls switch\[(\d+)\]/i.exec(out)?.[1];
  if (s === undefined) return null;
  const p = /tls preconfigured\[(\d+)\]/i.exec(out)?.[1];
  return { switch: Number(s), preconfigured: p === undefined ? null : Number(p) };
}

export interface PingResult {
  transmitted: number | null;
  received: number | null;
  ok: boolean;
}

export function parsePing(out: string, exitCode: number | null): PingResult {
  const m = /(\d+)\s+packets? transmitted,\s*(\d+)\s+(?:packets? )?received/i.exec(out);
  if (m) return { transmitted: Number(m[1]), received: Number(m[2]), ok: Number(m[2]) > 0 };
  return { transmitted: null, received: null, ok: exitCode === 0 && /\bsuccess/i.test(out) };
}

/** /etc/hccn.conf: `address_N=…`, `netmask_N=…` lines by device. */
export function parseHccnConf(raw: string): Record<number, Partial<NpuIp>> {
  const out: Record<number, Partial<NpuIp>> = {};
  for (const line of raw.split('\n')) {
    const m = /^\s*(address|netmask)_(\d+)\s*=\s*(\S+)/.exec(line);
    if (!m) continue;
    const d = (out[Number(m[2])] ??= {});
    if (m[1] === 'address') d.address = m[3];
    else d.netmask = m[3];
  }
  return out;
}

/** One NPU port of a node, as the probe's hccn_tool answers describe it. */
export interface HccnPort {
  device: number;
  link: string | null;
  netHealth: string | null;
  ip: NpuIp | null;
  tls: TlsState | null;
  /** The raw answers that could not be read (for the message). */
  unread: string[];
}

export interface HccnFacts {
  /** hccn_tool was found and queried. */
  queried: boolean;
  path: string | null;
  ports: HccnPort[];
  conf: { path: string; exists: boolean } | null;
}

/** The probe's hccn part → ports (pure). */
export function hccnFacts(data: ProbeData): HccnFacts {
  const h = data.commands.hccn;
  if (!h) return { queried: false, path: null, ports: [], conf: null };
  const ports = h.links.map((l): HccnPort => {
    const q = l.queries ?? {};
    const text = (k: string) => q[k]?.stdout ?? '';
    const unread: string[] = [];
    const link = l.status ?? parseLink(l.result.stdout);
    const netHealth = q.net_health ? parseNetHealth(text('net_health')) : null;
    const ip = q.ip ? parseIp(text('ip')) : null;
    const tls = q.tls ? parseTls(text('tls')) : null;
    if (link === null) unread.push('-link');
    if (q.net_health && netHealth === null) unread.push('-net_health');
    if (q.ip && ip === null) unread.push('-ip');
    if (q.tls && tls === null) unread.push('-tls');
    return { device: l.device, link, netHealth, ip, tls, unread };
  });
  return { queried: h.requested && !!h.path, path: h.path, ports, conf: h.conf ? { path: h.conf.path, exists: h.conf.exists } : null };
}

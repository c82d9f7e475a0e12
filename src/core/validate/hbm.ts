import { readNpuSmi } from '../serving/job';
import type { Transport } from '../transport/transport';

export interface HbmSample {
  /** Seconds since sampling started. */
  t: number;
  device: number;
  usedMB: number;
  /** The node the device is on (several nodes only). */
  host?: string;
}

/** Where to sample: a host's transport, its simulated root, the devices serving there. */
export interface HbmTarget {
  transport: Transport;
  simRoot?: string;
  devices: number[];
  /** Set for each node of a multi-node server: its samples carry it. */
  host?: string;
}

/**
 * HBM of the serving devices, read with npu-smi every `periodMs` while a server runs (from just before its
 * launch until it is stopped); the report's memory figures and HBM chart come from these samples. A
 * multi-node server is sampled on every node at once. Paused between runs that keep the server, resumed when
 * a later run uses it again.
 */
export class HbmSampler {
  readonly samples: HbmSample[] = [];
  readonly startedAtMs = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly targets: HbmTarget[];

  constructor(targets: HbmTarget | HbmTarget[], private readonly periodMs = 1000) {
    this.targets = Array.isArray(targets) ? targets : [targets];
  }

  /** What was sampled, for the result file: the devices, or each node's devices. */
  describe(): { devices: number[] } | { nodes: Array<{ host: string; devices: number[] }> } {
    if (this.targets.length === 1 && this.targets[0].host === undefined) return { devices: this.targets[0].devices };
    return { nodes: this.targets.map((x) => ({ host: x.host ?? '', devices: x.devices })) };
  }

  /** One sample now (also used before the launch: the devices' HBM before the server took any). */
  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await Promise.all(this.targets.map(async (x) => {
        const smi = await readNpuSmi(x.transport, { simRoot: x.simRoot });
        const t = Math.round((Date.now() - this.startedAtMs) / 100) / 10;
        for (const d of x.devices) {
          const dev = smi?.devices[d];
          const used = dev ? (dev.hbmUsedMB ?? dev.memUsedMB) : null;
          if (used !== null) this.samples.push({ t, device: d, usedMB: used, ...(x.host !== undefined ? { host: x.host } : {}) });
        }
      }));
    } finally {
      this.busy = false;
    }
  }

  /** Resume; `transport`: a one-host server reached over a new connection (a later run). */
  start(transport?: Transport): void {
    if (transport && this.targets.length === 1) this.targets[0].transport = transport;
    if (!this.timer) this.timer = setInterval(() => void this.sample(), this.periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** HBM the server took on one device (peak minus what it held before launch), and the peak overall. */
  summary(): { perDeviceMB: number; peakMB: number } | null {
    if (!this.samples.length) return null;
    const first = new Map<string, number>();
    const maxBy = new Map<string, number>();
    for (const x of this.samples) {
      const k = `${x.host ?? ''}\u0000${x.device}`;
      if (!first.has(k)) first.set(k, x.usedMB);
      maxBy.set(k, Math.max(maxBy.get(k) ?? 0, x.usedMB));
    }
    return {
      perDeviceMB: Math.max(...[...maxBy.entries()].map(([d, m]) => m - (first.get(d) ?? 0))),
      peakMB: Math.max(...this.samples.map((x) => x.usedMB)),
    };
  }
}

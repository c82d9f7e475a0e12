import type { NamedProfile } from '../profiles/schema';
import { readNpuSmi } from '../serving/job';
import type { Transport } from '../transport/transport';

export interface HbmSample {
  /** Seconds since sampling started. */
  t: number;
  device: number;
  usedMB: number;
}

/**
 * HBM of the serving devices, read with npu-smi every `periodMs` while a server runs (from just before its
 * launch until it is stopped); the report's memory figures and HBM chart come from these samples.
 * Paused between runs that keep the server, resumed when a later run uses it again.
 */
export class HbmSampler {
  readonly samples: HbmSample[] = [];
  readonly startedAtMs = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private transport: Transport,
    private readonly profile: NamedProfile,
    readonly devices: number[],
    private readonly periodMs = 1000,
  ) {}

  /** One sample now (also used before the launch: the devices' HBM before the server took any). */
  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const smi = await readNpuSmi(this.transport, this.profile);
      const t = Math.round((Date.now() - this.startedAtMs) / 100) / 10;
      for (const d of this.devices) {
        const dev = smi?.devices[d];
        const used = dev ? (dev.hbmUsedMB ?? dev.memUsedMB) : null;
        if (used !== null) this.samples.push({ t, device: d, usedMB: used });
      }
    } finally {
      this.busy = false;
    }
  }

  start(transport?: Transport): void {
    if (transport) this.transport = transport;
    if (!this.timer) this.timer = setInterval(() => void this.sample(), this.periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** HBM the server took on one device (peak minus what it held before launch), and the peak overall. */
  summary(): { perDeviceMB: number; peakMB: number } | null {
    if (!this.samples.length) return null;
    const first = new Map<number, number>();
    const maxBy = new Map<number, number>();
    for (const x of this.samples) {
      if (!first.has(x.device)) first.set(x.device, x.usedMB);
      maxBy.set(x.device, Math.max(maxBy.get(x.device) ?? 0, x.usedMB));
    }
    return {
      perDeviceMB: Math.max(...[...maxBy.entries()].map(([d, m]) => m - (first.get(d) ?? 0))),
      peakMB: Math.max(...this.samples.map((x) => x.usedMB)),
    };
  }
}

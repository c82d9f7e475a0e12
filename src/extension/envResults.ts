import * as vscode from 'vscode';
import { z } from 'zod';
import { EnvReportSchema, type EnvReport } from '../core/checks/report';

/**
 * The last environment-check result of every host, with the time it was received. Results stay visible
 * after a host disconnects and across reloads (kept in workspace state, validated with zod when read back:
 * a result saved by another version that no longer fits is dropped, not shown half-broken).
 */
export const HostResultSchema = z.object({
  hostId: z.string(),
  hostName: z.string(),
  /** ISO time the result arrived. */
  at: z.string(),
  report: EnvReportSchema,
  /** The raw probe data the report was made from (saved with a snapshot). */
  probe: z.unknown().optional(),
});
export type HostResult = z.infer<typeof HostResultSchema>;

const KEY = 'ascend.envResults.v1';

export class EnvResults implements vscode.Disposable {
  private readonly results = new Map<string, HostResult>();
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly state: vscode.Memento,
    log: vscode.LogOutputChannel,
  ) {
    const saved = state.get<unknown>(KEY);
    const parsed = z.array(HostResultSchema).safeParse(saved ?? []);
    if (parsed.success) for (const r of parsed.data) this.results.set(r.hostId, r);
    else log.warn(`saved environment results ignored: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }

  /** Newest first: a check that just ran is on top. */
  all(): HostResult[] {
    return [...this.results.values()].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }

  get(hostId: string): HostResult | undefined {
    return this.results.get(hostId);
  }

  async set(hostId: string, hostName: string, report: EnvReport, probe?: unknown): Promise<HostResult> {
    const r: HostResult = { hostId, hostName, at: new Date().toISOString(), report, probe };
    this.results.set(hostId, r);
    this.emitter.fire(hostId);
    // Raw probe outputs can be large: only the reports are kept across reloads.
    await this.state.update(KEY, this.all().map((x) => ({ ...x, probe: undefined })));
    return r;
  }

  async clear(): Promise<void> {
    this.results.clear();
    this.emitter.fire('');
    await this.state.update(KEY, []);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

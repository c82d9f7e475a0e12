/**
 * One interface for reaching a host. Everything above it (probes, jobs, serving, reports) is written
 * once and runs unchanged over `local` (child processes) and `ssh` (ssh2).
 *
 * Commands are always argv arrays. A transport that must go through a shell (ssh) quotes them with
 * `quoteArgv` from ./quote — nothing is ever pasted into a command string unquoted.
 */

export type TransportKind = 'local' | 'ssh';

export interface ExecOptions {
  /** Extra environment variables for the command (passed quoted, never interpolated). */
  env?: Record<string, string>;
  /** Working directory on the host. */
  cwd?: string;
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Kill the command (its process group where the transport can) after this many ms. */
  timeoutMs?: number;
  /** Abort = stop the command. */
  signal?: AbortSignal;
  /** Streamed output, as it arrives (the full output is still returned in ExecResult). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** Exit code, or null when the command was ended by a signal / timeout / abort. */
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface ForwardedPort {
  /** Local port (on 127.0.0.1) that reaches remoteHost:remotePort on the host. */
  localPort: number;
  close(): Promise<void>;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'failed';

export interface Transport {
  readonly kind: TransportKind;
  /** What a person calls this host ("local", an ssh alias …). */
  readonly label: string;
  /** Run argv to completion. Never throws for a non-zero exit; throws only when it could not run at all. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Make remoteHost:remotePort on the host reachable on a local port. */
  forwardPort(remotePort: number, remoteHost?: string): Promise<ForwardedPort>;
  /** Release the connection (ssh) or nothing (local). */
  close(): Promise<void>;
}

/** Thrown when a command could not be started or the link failed underneath it. */
export class TransportError extends Error {
  constructor(message: string, readonly causeCode?: string) {
    super(message);
    this.name = 'TransportError';
  }
}

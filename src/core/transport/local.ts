import { spawn } from 'node:child_process';
import * as net from 'node:net';
import type { ExecOptions, ExecResult, ForwardedPort, Transport } from './transport';
import { TransportError } from './transport';

/**
 * The `local` transport: child processes on this machine. Used by the CLI run on the Atlas host itself
 * and by the extension when VS Code is opened on the host through Remote-SSH.
 * Commands run without a shell, in their own process group so a timeout/abort ends the whole tree.
 */
export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  constructor(readonly label = 'local', private readonly baseEnv: NodeJS.ProcessEnv = process.env) {}

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new TransportError('empty argv'));
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: opts.cwd,
        env: { ...this.baseEnv, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          /* already gone */
        }
      };
      const timer = opts.timeoutMs !== undefined
        ? setTimeout(() => { timedOut = true; killGroup('SIGKILL'); }, opts.timeoutMs)
        : undefined;
      const onAbort = () => killGroup('SIGTERM');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => { out.push(c); opts.onStdout?.(c); });
      child.stderr.on('data', (c: Buffer) => { err.push(c); opts.onStderr?.(c); });
      child.stdin.on('error', () => { /* the command may exit before reading stdin */ });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new TransportError(`cannot run ${argv[0]}: ${e.message}`, e.code));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut });
      });
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
    });
  }

  /** Local ports need no tunnel; still returns a ForwardedPort so callers stay transport-agnostic. */
  async forwardPort(remotePort: number, remoteHost = '127.0.0.1'): Promise<ForwardedPort> {
    if (remoteHost === '127.0.0.1' || remoteHost === 'localhost') {
      return { localPort: remotePort, close: async () => undefined };
    }
    // A non-loopback target: relay through a local listener so the caller always dials 127.0.0.1.
    const server = net.createServer((sock) => {
      const up = net.connect(remotePort, remoteHost);
      sock.pipe(up).pipe(sock);
      const end = () => { sock.destroy(); up.destroy(); };
      sock.on('error', end);
      up.on('error', end);
    });
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(0, '127.0.0.1', () => res()); });
    const addr = server.address() as net.AddressInfo;
    return { localPort: addr.port, close: () => new Promise<void>((res) => server.close(() => res())) };
  }

  async close(): Promise<void> {
    /* nothing held */
  }
}

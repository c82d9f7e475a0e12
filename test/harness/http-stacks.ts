/**
 * Test harness: real HTTP stacks from Debian packages on 127.0.0.1, for the clients' tests.
 *
 *   const up = await startSimServer([...]);                                  // ../accuracy/helpers
 *   const ngx = await startNginx({ upstreamPort: up.port, keepaliveRequests: 3, keepaliveTimeout: '1s' });
 *   const uv = await startUvicornApp({ ttftMs: 5, tpotMs: 1, timeoutKeepAlive: 1 });
 *   ngx.url, uv.url; await uv.stats() → what the app saw; await ngx.stop(); await uv.stop();
 *
 * nginx (Debian's /usr/sbin/nginx) runs as a reverse proxy with its own config, pid file, logs and temp
 * folders in a temp dir — never /etc/nginx. The FastAPI app (test/fixtures/http/openai_fastapi_app.py) runs
 * on uvicorn under Debian's /usr/bin/python3 (python3-fastapi, python3-uvicorn), as vLLM serves.
 * `nginxAvailable()` / `uvicornAvailable()` say why a test cannot run here (null when it can).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const NGINX = '/usr/sbin/nginx';
export const DEBIAN_PYTHON = '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..');
export const FASTAPI_APP = path.join(ROOT, 'test', 'fixtures', 'http', 'openai_fastapi_app.py');

export interface HttpStack {
  url: string;
  port: number;
  /** The stack's own error log (diagnostics). */
  log(): string;
  stop(): Promise<void>;
}

export function nginxAvailable(): string | null {
  if (!fs.existsSync(NGINX)) return `${NGINX} missing (apt-get install nginx)`;
  return null;
}

export function uvicornAvailable(): string | null {
  if (!fs.existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} missing`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import fastapi, uvicorn'], { encoding: 'utf8' });
  return r.status === 0 ? null : `python3-fastapi / python3-uvicorn missing: ${r.stderr.trim().split('\n').pop()}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(true));
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

async function waitUntil(what: string, child: ChildProcess, ok: () => Promise<boolean>, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited: ${log().slice(-2000)}`);
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up: ${log().slice(-2000)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

export interface NginxOptions {
  upstreamPort: number;
  /** keepalive_requests (nginx's default 1000). */
  keepaliveRequests?: number;
  /** keepalive_timeout, e.g. '1s'; with `keepaliveHeader` nginx also announces it (Keep-Alive: timeout=N). */
  keepaliveTimeout?: string;
  keepaliveHeader?: boolean;
}

/** nginx as a reverse proxy in front of `upstreamPort`, streaming unbuffered (as deployed in front of vLLM). */
export async function startNginx(o: NginxOptions): Promise<HttpStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-nginx-'));
  fs.chmodSync(dir, 0o755); // workers run as nobody: they need to reach the temp folders
  const port = await freePort();
  const kt = o.keepaliveTimeout ?? '75s';
  const conf = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 8192; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
    `  upstream backend { server 127.0.0.1:${o.upstreamPort}; keepalive 512; }`,
    '  server {',
    `    listen 127.0.0.1:${port} backlog=4096;`,
    `    keepalive_requests ${o.keepaliveRequests ?? 1000};`,
    `    keepalive_timeout ${kt}${o.keepaliveHeader ? ` ${kt}` : ''};`,
    '    location / {',
    '      proxy_pass http://backend;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_buffering off;',
    '      proxy_read_timeout 3600s;',
    '    }',
    '  }',
    '}',
  ].join('\n');
  const confPath = path.join(dir, 'nginx.conf');
  fs.writeFileSync(confPath, conf + '\n');
  const logPath = path.join(dir, 'error.log');
  const log = () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '');
  const test = spawnSync(NGINX, ['-t', '-q', '-e', logPath, '-p', dir, '-c', confPath], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t: ${test.stderr}`);
  const child = spawn(NGINX, ['-e', logPath, '-p', dir, '-c', confPath], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('nginx', child, () => answers(`${url}/health`), log);
  return {
    url, port, log,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface UvicornOptions {
  ttftMs?: number;
  tpotMs?: number;
  /** uvicorn's timeout_keep_alive (whole seconds; its default is 5). */
  timeoutKeepAlive?: number;
  /** Streams go silent after this many tokens (a stalled server). */
  stallAfter?: number;
}

export interface UvicornApp extends HttpStack {
  /** What the app itself saw: requests received and completed. */
  stats(): Promise<{ requests: number; completed: number; stalled: number }>;
}

/** The fixture FastAPI app on uvicorn (Debian's python3), streaming OpenAI-shaped answers. */
export async function startUvicornApp(o: UvicornOptions = {}): Promise<UvicornApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-uvicorn-'));
  const portFile = path.join(dir, 'port');
  const args = [FASTAPI_APP, '--port-file', portFile, '--ttft-ms', String(o.ttftMs ?? 20), '--tpot-ms', String(o.tpotMs ?? 5),
    '--timeout-keep-alive', String(o.timeoutKeepAlive ?? 5)];
  if (o.stallAfter !== undefined) args.push('--stall-after', String(o.stallAfter));
  let err = '';
  const child = spawn(DEBIAN_PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
  const log = () => err;
  await waitUntil('uvicorn', child, async () => fs.existsSync(portFile), log);
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('uvicorn', child, () => answers(`${url}/health`), log);
  return {
    url, port, log,
    stats: () => new Promise((resolve, reject) => {
      http.get(`${url}/stats`, { agent: false }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => resolve(JSON.parse(body) as { requests: number; completed: number; stalled: number }));
      }).on('error', reject);
    }),
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A "remote" host in its own network namespace (root + iproute2; skipped cleanly otherwise): its loopback
// is reachable only through the SSH tunnel, and cutting its link mid-job is survived — keepalive notices,
// the transport reconnects when the link is back, and the job's log continues without a gap.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SshConfigFile } from '../../src/core/hosts/ssh-config';
import { DetachedJobs } from '../../src/core/jobs/detached';
import { SshTransport } from '../../src/core/transport/ssh';
import { createNetns, netnsAvailable, type Netns } from '../harness/netns';
import { sshdAvailable, startSshd, type Sshd } from '../harness/sshd';

const skip = sshdAvailable() ?? netnsAvailable();

function get(port: number, pathName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${pathName} HTTP/1.0\r\nHost: x\r\n\r\n`));
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => resolve(buf.slice(buf.indexOf('\r\n\r\n') + 4)));
    s.on('error', reject);
  });
}

describe('a host in its own network namespace', { skip }, () => {
  let ns: Netns;
  let sshd: Sshd;
  let dir: string;
  let t: SshTransport;
  const states: string[] = [];

  before(async () => {
    ns = await createNetns();
    sshd = await startSshd({ netns: ns.name, listenAddress: ns.nsAddr });
    dir = fs.mkdtempSync('/tmp/aa-netns-');
    fs.writeFileSync(path.join(dir, 'known_hosts'), sshd.hostKeyLine + '\n');
    const host = SshConfigFile.fromText([
      'Host node', `  HostName ${ns.nsAddr}`, `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keyPath}`,
      '  IdentityAgent none', '  ServerAliveInterval 1', '  ServerAliveCountMax 3', '  ConnectTimeout 1',
    ].join('\n')).resolve('node');
    t = new SshTransport(host, { knownHosts: { files: [path.join(dir, 'known_hosts')] }, reconnect: { maxAttempts: 60, initialDelayMs: 200, maxDelayMs: 1000 } });
    t.on('state', (s: string) => states.push(s));
    await t.connect();
  });
  after(async () => {
    await t?.close();
    await sshd?.stop();
    await ns?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reaches a server bound to the host\'s own 127.0.0.1 only through the tunnel', async () => {
    const serve = 'import http.server,socketserver\nclass H(http.server.BaseHTTPRequestHandler):\n def do_GET(s):\n  b=b"inside the namespace"\n  s.send_response(200);s.send_header("Content-Length",str(len(b)));s.end_headers();s.wfile.write(b)\n def log_message(s,*a): pass\nsrv=socketserver.TCPServer(("127.0.0.1",0),H)\nprint(srv.server_address[1],flush=True)\nsrv.serve_forever()\n';
    let port = 0;
    const ac = new AbortController();
    const running = t.exec(['python3', '-c', serve], { signal: ac.signal, onStdout: (b) => { port ||= Number(b.toString().trim()); } });
    while (!port) await new Promise((r) => setTimeout(r, 20));
    const direct = await get(port, '/').catch((e: NodeJS.ErrnoException) => e.code);
    assert.notEqual(direct, 'inside the namespace', 'this machine\'s own loopback does not reach the host\'s');
    const fwd = await t.forwardPort(port);
    assert.equal(await get(fwd.localPort, '/'), 'inside the namespace');
    await fwd.close();
    ac.abort();
    await running;
  });

  it('survives a cut link mid-job: keepalive notices, reconnect when it is back, log continues with no gap', async () => {
    const jobs = new DetachedJobs(t);
    const writer = 'import sys,time\nfor i in range(400):\n  sys.stdout.write("tick %04d\\n" % i); sys.stdout.flush(); time.sleep(0.02)\n';
    const job = await jobs.start({ argv: ['python3', '-c', writer], name: 'ticker' });
    states.length = 0;
    const got: Buffer[] = [];
    let cut = false;
    const end = await jobs.followLog(job.id, 0, (b, at) => {
      got.push(b);
      if (!cut && at > 500) {
        cut = true;
        ns.cut();
        // Bring the link back once the transport has noticed it is gone.
        const onState = (s: string) => {
          if (s === 'reconnecting') {
            t.off('state', onState);
            setTimeout(() => ns.restore(), 1500);
          }
        };
        t.on('state', onState);
      }
    });
    assert.ok(cut);
    assert.equal(states[0], 'reconnecting');
    assert.equal(states.at(-1), 'connected');
    const file = fs.readFileSync(job.logPath);
    assert.equal(end, file.length);
    assert.ok(Buffer.concat(got).equals(file), 'no byte lost, none twice');
    assert.match(file.toString(), /tick 0399\n$/);
    const done = await jobs.get(job.id);
    assert.equal(done.exitCode, 0, 'the job itself never noticed the cut');
  });
});

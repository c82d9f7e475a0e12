// SSH figures against the real loopback sshd of the test harness:
//   ssh.exec_rtt_ms — median of 50 `exec true` on one reused connection (setNoDelay on)
//   ssh.connect_ms  — median of 10 full connects (TCP + key exchange + host-key check + publickey auth)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConfigFile } from '../src/core/hosts/ssh-config';
import { SshTransport } from '../src/core/transport/ssh';
import { sshdAvailable, startSshd } from '../test/harness/sshd';
import type { Figure } from './run';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number) => Math.round(x * 100) / 100;

export default async function bench(): Promise<Figure[]> {
  const why = sshdAvailable();
  if (why) throw new Error(`ssh bench needs a real sshd: ${why}`);
  const sshd = await startSshd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aa-sshbench-'));
  try {
    const kh = path.join(dir, 'known_hosts');
    fs.writeFileSync(kh, sshd.hostKeyLine + '\n');
    const host = SshConfigFile.fromText(
      ['Host b', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, `  IdentityFile ${sshd.keyPath}`, '  IdentityAgent none'].join('\n'),
    ).resolve('b');
    const make = () => new SshTransport(host, { knownHosts: { files: [kh] }, reconnect: { maxAttempts: 0 } });

    const connects: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t = make();
      const t0 = performance.now();
      await t.connect();
      if (i > 0) connects.push(performance.now() - t0); // first one warms up JIT and sshd
      await t.close();
    }

    const t = make();
    await t.connect();
    for (let i = 0; i < 5; i++) await t.exec(['true']);
    const rtts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const r = await t.exec(['true']);
      rtts.push(performance.now() - t0);
      if (r.code !== 0) throw new Error(`exec true failed: ${r.stderr.toString()}`);
    }
    await t.close();
    return [
      { name: 'ssh.exec_rtt_ms', value: round(median(rtts)), unit: 'ms' },
      { name: 'ssh.connect_ms', value: round(median(connects)), unit: 'ms' },
    ];
  } finally {
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

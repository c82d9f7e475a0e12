import { statusCell } from './format';
import { shellLine, type Md } from './md-writer';
import type { Cluster, PartialReport } from './schema';

/**
 * A multi-node run: the nodes (where, on which NPUs, what ran), each node's versions side by side, the
 * pre-checks naming their node, and what stopping left. Each node's log is an evidence entry (host + path
 * on that node), and every section whose figures the cluster served names them.
 */

function roleWord(md: Md, role: string): string {
  return role === 'head' ? md.t.tr('head') : md.t.tr('worker');
}

/** A node's state at the end of the run, in the reader's language (unknown words as they are). */
function stateWord(md: Md, s: string | null): string {
  const t = md.t;
  const words: Record<string, () => string> = {
    pending: () => t.tr('pending'), starting: () => t.tr('starting'), ready: () => t.tr('ready'), failed: () => t.tr('failed'),
    lost: () => t.tr('lost'), stopped: () => t.tr('stopped'), exited: () => t.tr('exited'),
  };
  return s && words[s] ? words[s]() : md.text(s);
}

/** "Served by …; logs: head A[^E5], worker B[^E6]": the logs behind a section's figures. */
export function renderServedBy(md: Md, report: PartialReport): void {
  const c = report.cluster;
  if (!c) return;
  const logs = c.nodes.map((n) => `${roleWord(md, n.role)} ${md.text(n.host)}${n.log ? md.ref(n.log) : ` (${md.t.tr('no log')})`}`);
  md.p(md.t.tr('Served by one vLLM over {0} nodes ({1}) through the head\'s API; the server logs: {2}', c.nodes.length, md.text(c.mode), logs.join(', ')));
  md.p();
}

function nodesTable(md: Md, c: Cluster): void {
  const t = md.t;
  md.table(
    [t.tr('Node'), t.tr('Host'), t.tr('Role'), t.tr('Address'), 'NIC', t.tr('NPUs'), t.tr('Mode'), t.tr('State'), t.tr('Log')],
    c.nodes.map((n) => [
      String(n.index), md.text(n.host), roleWord(md, n.role), md.text(n.address), md.text(n.nic), md.text(n.devices.join(',')),
      md.text(n.role === 'head' || c.mode === 'ray' ? c.mode : `${c.mode} --headless`), stateWord(md, n.state), n.log ? md.ref(n.log) : '—',
    ]),
  );
}

function versionsTable(md: Md, report: PartialReport, c: Cluster): void {
  const t = md.t;
  const hosts = new Map((report.hosts ?? []).map((h) => [h.name, h]));
  md.p(`**${t.tr('Environment per node')}**`);
  md.p();
  md.table(
    [t.tr('Node'), 'CANN', t.tr('Driver'), 'torch_npu', 'vLLM', 'vLLM-Ascend', t.tr('NPUs healthy'), t.tr('Per-node variables')],
    c.nodes.map((n) => {
      const h = hosts.get(n.host);
      const v = h?.versions ?? {};
      const health = h ? `${h.devices.filter((d) => d.health === 'OK').length}/${h.devices.length}${h.simulated ? ` (${t.tr('simulated host')})` : ''}` : t.tr('not checked');
      const vars = Object.entries(n.env).map(([k, x]) => md.code(`${k}=${x}`, true)).join(' ');
      return [`${n.index} ${md.text(n.host)}${h ? md.ref(h.evidence) : ''}`, md.text(v.cann), md.text(v.driver), md.text(v.torch_npu), md.text(v.vllm), md.text(v.vllm_ascend), health, vars || '—'];
    }),
  );
}

function commandsOf(md: Md, c: Cluster): void {
  const t = md.t;
  for (const n of c.nodes) {
    md.p(`**${t.tr('node {0} ({1})', n.index, md.text(n.host))}** — ${roleWord(md, n.role)}${n.commands.some((x) => x.jobId) ? ` (${t.tr('job {0}', md.text(n.commands.map((x) => x.jobId ?? '—').join(', ')))})` : ''}`);
    md.p();
    if (!n.commands.length) md.p(t.tr('Nothing planned on this node.'));
    for (const cmd of n.commands) md.block('bash', shellLine(cmd.argv, cmd.env));
    if (n.failure) md.p(`❌ ${md.data(n.failure)}`);
    if (n.stop) {
      const parts = [n.stop.reached ? '' : t.tr('not reachable'), n.stop.rayStop ? `ray stop: ${md.text(n.stop.rayStop)}` : '', n.stop.leftoverPids.length ? t.tr('processes left: {0}', n.stop.leftoverPids.join(', ')) : '', n.stop.idle ? t.tr('nothing left, NPUs idle') : ''];
      md.p(`${n.stop.idle ? '✅' : '❌'} ${t.tr('After stop')}: ${parts.filter(Boolean).join('; ') || '—'}`);
    }
    md.p();
  }
}

/** 5. Environment, for several nodes: the nodes, their versions, commands and the cluster pre-checks. */
export function renderNodes(md: Md, report: PartialReport): void {
  const c = report.cluster;
  if (!c) return;
  const t = md.t;
  md.p(`### ${t.tr('Nodes')} (${md.text(c.mode)}, ${c.nodes.length})`);
  md.p();
  md.p(t.tr('Head address {0}, rendezvous port {1}, API port {2}; commands as documented in {3}.', md.text(c.headAddress), c.rendezvousPort ?? '—', c.apiPort ?? '—', md.text(c.source)) + (c.jobId ? ` ${t.tr('job {0}', md.text(c.jobId))}` : ''));
  md.p();
  if (c.failure) {
    md.p(`❌ ${c.failure.node ? `${md.text(c.failure.node)}: ` : ''}${md.data(c.failure.message)}`);
    md.p();
  }
  nodesTable(md, c);
  versionsTable(md, report, c);
  md.p(`**${t.tr('Commands per node')}**`);
  md.p();
  commandsOf(md, c);
  if (c.checks.length) {
    md.p(`**${t.tr('Cluster pre-launch checks')}**`);
    md.p();
    md.table(
      [t.tr('Node'), t.tr('Check'), t.tr('Status'), t.tr('Description'), t.tr('Fix')],
      c.checks.map((x) => [x.node ? md.text(x.node) + (x.device !== undefined ? ` NPU ${x.device}` : '') : t.tr('all nodes'), md.data(x.title), statusCell(t, x.status), md.data(x.detail), x.fix && x.status !== 'pass' ? md.data(x.fix) : '']),
    );
  }
}

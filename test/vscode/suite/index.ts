// The mocha entry VS Code loads as `extensionTestsPath` (bundled by build-suite.mjs into out/test/vscode/).
// Runs inside the real extension host: code-server's remote Node host in run-code-server.mjs, Electron's in
// run-desktop.mjs. Counts go to ASCEND_COUNTS_FILE (set by the runner) and to the log as a last line.
import * as fs from 'node:fs';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  const grep = process.env.ASCEND_SUITE_GREP;
  if (grep) mocha.grep(grep);
  // Define describe/it on the global object before the test modules (bundled here) are evaluated.
  mocha.suite.emit('pre-require', globalThis, 'ascend-adapt-suite', mocha);
  await import('./activation.test');
  await import('./commands.test');
  await import('./environment.test');
  await import('./hosts.test');
  await import('./lsp.test');
  await import('./serving.test');
  await import('./quantize.test');
  await import('./profile.test');
  await import('./reports.test');
  await import('./validation.test');
  // After the Reports suite: its multi-node validation adds a report to the workspace.
  await import('./cluster.test');
  await import('./cluster-validation.test');
  await import('./tasks.test');
  await import('./found.test');
  console.log('ASCEND_SUITE_START');
  const counts = { passed: 0, failed: 0, skipped: 0 };
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const line = `ASCEND_COUNTS ${JSON.stringify(counts)}`;
      console.log(line);
      if (process.env.ASCEND_COUNTS_FILE) fs.writeFileSync(process.env.ASCEND_COUNTS_FILE, JSON.stringify(counts));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('pass', () => counts.passed++);
    runner.on('fail', () => counts.failed++);
    runner.on('pending', () => counts.skipped++);
  });
}

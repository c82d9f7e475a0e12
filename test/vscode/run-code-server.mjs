// The extension's test suite inside a real VS Code: code-server 4.100.3 (VS Code 1.100.3, installed on first
// run into .vscode-test/) opened in headless Chromium. VS Code's options travel in the workbench URL's
// `payload` parameter (code-server rejects --extensionDevelopmentPath on its command line); the remote
// Node extension host loads this checkout as the extension under development and runs the mocha suite
// bundled into out/. Test output arrives through codeAutomationLog, the exit code through
// codeAutomationExit — the hooks VS Code's own browser test runner uses.
// Writes {passed,failed,skipped} to $COUNTS_FILE for scripts/test.mjs. Exit code 0 = all passed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { buildSuite } from './build-suite.mjs';
import { launchBrowser, root, startCodeServer } from './code-server.mjs';

const SUITE_TIMEOUT_MS = 10 * 60_000;

function copyDir(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

async function main() {
  const t0 = Date.now();
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
    const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }
  const suite = await buildSuite();
  const resultsDir = path.join(root, 'test-results', 'vscode');
  fs.mkdirSync(resultsDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-suite-'));
  const folder = path.join(work, 'workspace');
  copyDir(path.join(root, 'test', 'fixtures', 'vscode', 'workspace'), folder);
  const countsFile = path.join(work, 'counts.json');
  const serverLog = path.join(resultsDir, 'code-server.log');
  fs.rmSync(serverLog, { force: true });

  const server = await startCodeServer({
    folder,
    logFile: serverLog,
    env: { ASCEND_COUNTS_FILE: countsFile, ASCEND_SUITE_WORKDIR: work, ASCEND_SUITE_GREP: process.env.ASCEND_SUITE_GREP ?? '' },
  });
  let browser;
  let exitCode = 1;
  const output = [];
  try {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(root)],
      ['extensionTestsPath', remote(suite)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    let done;
    let started = false;
    const suiteLog = fs.createWriteStream(path.join(resultsDir, 'automation.log'));
    const finished = new Promise((res) => (done = res));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      output.push(text);
      // Workbench chatter (gallery lookups failing offline, timings) goes to the log file; the suite's own
      // output (mocha's reporter, console.* of the tests) to the terminal.
      suiteLog.write(`[${Date.now() - t0} ms] [${type}] ${text}\n`);
      if (text.includes('ASCEND_SUITE_START')) started = true;
      else if (started) {
        (type === 'error' ? process.stderr : process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => done(code));
    const browserLog = fs.createWriteStream(path.join(resultsDir, 'browser-console.log'));
    page.on('console', (m) => browserLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e.message}\n`));
    const url = `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 180_000 });
    let timer;
    const timeout = new Promise((res) => (timer = setTimeout(() => res('timeout'), SUITE_TIMEOUT_MS)));
    const r = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      await page.screenshot({ path: path.join(resultsDir, 'timeout.png') }).catch(() => undefined);
      process.stderr.write(`suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s\n`);
      exitCode = 1;
    } else {
      exitCode = Number(r);
    }
    browserLog.end();
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }

  let counts;
  if (fs.existsSync(countsFile)) counts = JSON.parse(fs.readFileSync(countsFile, 'utf8'));
  else {
    const line = output.reverse().find((l) => l.includes('ASCEND_COUNTS '));
    counts = line ? JSON.parse(line.slice(line.indexOf('ASCEND_COUNTS ') + 14)) : { passed: 0, failed: 1, skipped: 0 };
  }
  if (exitCode !== 0 && counts.failed === 0) counts.failed = 1; // the run itself failed (e.g. activation)
  fs.rmSync(work, { recursive: true, force: true });
  if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, JSON.stringify(counts));
  process.stdout.write(
    `real VS Code suite: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (exit ${exitCode}, ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  process.exitCode = exitCode === 0 && counts.failed === 0 ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, JSON.stringify({ passed: 0, failed: 1, skipped: 0 }));
  process.exitCode = 1;
});

// UI smoke test: the packaged VSIX installed into a real VS Code (code-server 4.100.3), driven like a person
// would in headless Chromium (playwright-core): open the Ascend container, run a command from the palette
// (F1, ">Ascend: …"), see the result, and keep screenshots under test-results/ui/. A good sidebar shot is
// copied to media/screenshot-sidebar.png for the README.
// Writes {passed,failed,skipped} to $COUNTS_FILE. Exit code 0 = every check passed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installExtension, launchBrowser, root, startCodeServer } from '../vscode/code-server.mjs';

const outDir = path.join(root, 'test-results', 'ui');
const vsix = path.join(root, 'dist', 'ascend-adapt.vsix');
const MAX_VSIX_BYTES = 5 * 1024 * 1024;
const counts = { passed: 0, failed: 0, skipped: 0 };
let currentPage;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    counts.passed++;
    process.stdout.write(`  ✔ ${name} (${Date.now() - t0} ms)\n`);
    return true;
  } catch (e) {
    counts.failed++;
    if (currentPage) {
      const shot = path.join(outDir, `failed-${counts.failed}.png`);
      await currentPage.screenshot({ path: shot }).catch(() => undefined);
      process.stdout.write(`    screenshot: ${path.relative(root, shot)}\n`);
    }
    process.stdout.write(`  ✘ ${name}\n    ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n    ')}\n`);
    return false;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Lists the files inside the VSIX (a zip) with `unzip -Z1` when present, else Python's zipfile. */
function vsixFiles(file) {
  const r = spawnSync('python3', ['-c', 'import sys,zipfile;print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

async function runPalette(page, text) {
  // F1 can land while a webview or the walkthrough holds the focus and be swallowed: press it again then.
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape');
    }
  }
  await input.fill(`>${text}`);
  // Pick the row that is exactly the command we typed, not a fuzzy neighbour.
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  const n = await rows.count();
  const labels = [];
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const label = ((await row.getAttribute('aria-label')) ?? (await row.innerText())).trim();
    labels.push(label);
    if (label === text || label.startsWith(`${text},`) || label.startsWith(`${text} `)) {
      await row.click();
      return;
    }
  }
  throw new Error(`"${text}" not in the palette: ${labels.join(' | ')}`);
}

async function main() {
  const t0 = Date.now();
  fs.mkdirSync(outDir, { recursive: true });
  let server;
  let browser;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-ui-'));
  try {
    const packaged = await check('npm run package makes dist/ascend-adapt.vsix under 5 MB, without sources or tests', async () => {
      fs.rmSync(vsix, { force: true });
      const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, encoding: 'utf8' });
      assert(r.status === 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
      const size = fs.statSync(vsix).size;
      process.stdout.write(`    vsix: ${(size / 1024).toFixed(0)} KiB\n`);
      assert(size < MAX_VSIX_BYTES, `VSIX is ${size} bytes`);
      const files = vsixFiles(vsix);
      const bad = files.filter((f) => /^extension\/(src|test|node_modules|scripts|bench|out|\.vscode-test)\//.test(f) || f.endsWith('.map') || /__pycache__|\.pyc$/.test(f));
      assert(bad.length === 0, `VSIX contains ${bad.slice(0, 5).join(', ')}`);
      for (const need of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/package.nls.zh-cn.json', 'extension/media/ascend.svg']) {
        assert(files.includes(need), `VSIX lacks ${need}`);
      }
    });
    if (!packaged) return;

    const extensionsDir = path.join(work, 'extensions');
    fs.mkdirSync(extensionsDir, { recursive: true });
    await check('code-server --install-extension installs the VSIX', async () => {
      const out = installExtension(vsix, extensionsDir);
      assert(/successfully installed/i.test(out), out);
      assert(fs.readdirSync(extensionsDir).some((d) => d.startsWith('ascend-adapt.ascend-adapt-')), 'extension folder missing');
    });

    const folder = path.join(work, 'workspace');
    fs.cpSync(path.join(root, 'test', 'fixtures', 'vscode', 'workspace'), folder, { recursive: true });
    // An ssh host that refuses connections: connecting to it is a real failure to see in a toast.
    const sshDir = path.join(work, 'ssh');
    fs.mkdirSync(sshDir, { recursive: true });
    fs.writeFileSync(path.join(sshDir, 'config'), 'Host atlas-offline\n  HostName 127.0.0.1\n  Port 1\n  User nobody\n');
    fs.writeFileSync(path.join(sshDir, 'known_hosts'), '');
    server = await startCodeServer({
      folder,
      extensionsDir,
      logFile: path.join(outDir, 'code-server.log'),
      userSettings: { 'ascendAdapt.ssh.configFile': path.join(sshDir, 'config'), 'ascendAdapt.ssh.knownHostsFile': path.join(sshDir, 'known_hosts') },
    });
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    currentPage = page;
    await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 180_000 });

    const container = page.locator('.activitybar .action-item a.action-label[aria-label^="Ascend"]');
    await check('the Ascend container appears in the activity bar', async () => {
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await container.waitFor({ state: 'visible', timeout: 60_000 });
    });

    await check('opening it shows the Hosts, Environment, Jobs and Reports views with welcome texts', async () => {
      await container.click();
      await page.mouse.move(700, 400); // no tooltip over the sidebar in the screenshot
      const sidebar = page.locator('#workbench\\.parts\\.sidebar');
      await sidebar.locator('.title-label', { hasText: /ASCEND/i }).waitFor({ timeout: 30_000 });
      for (const name of ['Hosts', 'Environment', 'Jobs', 'Reports']) {
        await sidebar.locator('.pane-header', { hasText: new RegExp(name, 'i') }).first().waitFor({ timeout: 30_000 });
      }
      await sidebar.locator('.welcome-view-content').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(outDir, '01-container.png') });
    });

    await check('F1 > Ascend: Create Simulated Atlas Host creates it and says so', async () => {
      await runPalette(page, 'Ascend: Create Simulated Atlas Host');
      await page.locator('.notification-toast', { hasText: /Simulated Atlas host created/ }).first().waitFor({ timeout: 120_000 });
      const sidebar = page.locator('#workbench\\.parts\\.sidebar');
      await sidebar.locator('.monaco-list-row', { hasText: /(^|\n)Simulated Atlas host/ }).first().waitFor({ timeout: 30_000 });
      await page.locator('#workbench\\.parts\\.statusbar', { hasText: /SIMULATED/ }).first().waitFor({ timeout: 30_000 });
    });

    await check('F1 > Ascend: Run Environment Check fills the Environment view (marked SIMULATED)', async () => {
      await runPalette(page, 'Ascend: Run Environment Check');
      await page.locator('.notification-toast', { hasText: /Environment check of Simulated Atlas host/ }).first().waitFor({ timeout: 120_000 });
      const env = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Environment/i }) });
      await env.locator('.monaco-list-row', { hasText: /Simulated Atlas host/ }).first().waitFor({ timeout: 30_000 });
      await env.locator('.monaco-list-row', { hasText: /SIMULATED/ }).first().waitFor({ timeout: 30_000 });
      // Expand the NPUs row to show the HBM bars.
      const npus = env.locator('.monaco-list-row', { hasText: /^NPUs/ }).first();
      await npus.click();
      await env.locator('.monaco-list-row', { hasText: /NPU 0/ }).first().waitFor({ timeout: 30_000 });
      const rows = await env.locator('.monaco-list-row').allInnerTexts();
      if (!rows.some((r) => /[█▏▎▍▌▋▊▉░]{10}/.test(r))) throw new Error(`no HBM bar in ${rows.join(' | ')}`);
      // A clean shot: no toasts, Jobs and Reports collapsed, a wider sidebar.
      await runPalette(page, 'Notifications: Clear All Notifications').catch(() => page.keyboard.press('Escape'));
      for (const name of [/^Jobs/i, /^Reports/i]) await collapsePane(page, name);
      const box = await page.locator('#workbench\\.parts\\.sidebar').boundingBox();
      if (box) {
        await page.mouse.move(box.x + box.width + 1, box.y + 300);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width + 260, box.y + 300, { steps: 8 });
        await page.mouse.up();
      }
      await page.mouse.move(1100, 600);
      await page.waitForTimeout(800);
      await page.screenshot({ path: path.join(outDir, '03-environment.png') });
      const shot = path.join(root, 'media', 'screenshot-sidebar.png');
      if (!fs.existsSync(shot) || process.env.ASCEND_UPDATE_SCREENSHOT === '1') {
        fs.copyFileSync(path.join(outDir, '03-environment.png'), shot);
        process.stdout.write(`    screenshot copied to ${path.relative(root, shot)}\n`);
      }
    });

    await check('F1 > Ascend: Show Log opens the extension log', async () => {
      await runPalette(page, 'Ascend: Show Log');
      const panel = page.locator('#workbench\\.parts\\.panel');
      await panel.waitFor({ state: 'visible', timeout: 30_000 });
      await panel.locator('.view-lines', { hasText: /activated\sin\s\d+\sms/ }).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(outDir, '04-show-log.png') });
    });

    await check('a failure shows an error toast with Show Log, which opens the log holding the error', async () => {
      await runPalette(page, 'View: Hide Panel');
      const panel = page.locator('#workbench\\.parts\\.panel');
      await panel.waitFor({ state: 'hidden', timeout: 15_000 });
      await runPalette(page, 'Ascend: Connect to Host');
      const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'atlas-offline' }).first();
      await pick.waitFor({ state: 'visible', timeout: 30_000 });
      await pick.click();
      const toast = page.locator('.notification-toast', { hasText: /cannot connect to 127\.0\.0\.1:1/ }).first();
      const showLog = toast.locator('.monaco-button', { hasText: 'Show Log' });
      await showLog.waitFor({ state: 'visible', timeout: 60_000 });
      await page.waitForTimeout(500); // the toast slides in; a settled shot
      await page.screenshot({ path: path.join(outDir, '05-error-toast.png') });
      await showLog.click();
      await panel.waitFor({ state: 'visible', timeout: 30_000 });
      // Monaco renders spaces as no-break spaces: \s matches both.
      await panel.locator('.view-lines', { hasText: /\[error\][^\n]*cannot\sconnect\sto\s127\.0\.0\.1:1/ }).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(outDir, '06-error-in-log.png') });
    });
    await check('F1 > Ascend: Run Validation runs it in the Validation view (screenshots mid-run and at the end)', async () => {
      // A profile on the simulated host with a short accuracy and perf run (the installed extension's demo data).
      const installed = fs.readdirSync(extensionsDir).find((d) => d.startsWith('ascend-adapt.ascend-adapt-'));
      const demo = path.join(extensionsDir, installed, 'python', 'data', 'demo');
      const profile = {
        profiles: {
          'ui-sim': {
            description: 'small model on the simulated host (UI smoke test)',
            host: 'sim',
            modelPath: path.join(folder, 'models', 'small-qwen'),
            servedModelName: 'small-qwen',
            port: 20000 + Math.floor(Math.random() * 2000),
            enforceEager: true,
            smokeMaxTokens: 16,
            readyTimeoutSec: 120,
            validation: {
              accuracy: { tasks: ['gsm8k'], dataDir: demo, limit: 4, reference: path.join(demo, 'reference_gpu_demo.json') },
              // Enough requests that the perf step stays on screen for a while (its row is shot mid-run).
              perf: { concurrency: 2, numPrompts: 120, inputLen: 32, outputLen: 16, baseline: path.join(demo, 'baseline_gpu_demo.json') },
            },
          },
        },
      };
      fs.writeFileSync(path.join(folder, 'ascend-adapt.json'), JSON.stringify(profile, null, 2));
      await runPalette(page, 'View: Toggle Panel Visibility').catch(() => page.keyboard.press('Escape'));
      await runPalette(page, 'Notifications: Clear All Notifications').catch(() => page.keyboard.press('Escape'));
      // Room for every step: the panes above and below the run panel collapsed.
      for (const name of [/^Environment/i, /^Jobs/i]) await collapsePane(page, name);
      await runPalette(page, 'Ascend: Run Validation');
      const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^Validation/i }) });
      await pane.locator('.monaco-list-row', { hasText: /Profile: ui-sim/ }).first().waitFor({ timeout: 60_000 });
      // Mid-run: a step with its spinner and state word; the status bar names the step.
      await pane.locator('.monaco-list-row', { hasText: /benchmark\s*running · \d+ s · \d+\/\d+ requests/ }).first().waitFor({ timeout: 180_000 });
      await page.locator('#workbench\\.parts\\.statusbar', { hasText: /Validation: / }).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(outDir, '07-validation-running.png') });
      // The end: one notification, the report row, figures inline.
      await page.locator('.notification-toast', { hasText: /Validation of ui-sim/ }).first().waitFor({ timeout: 300_000 });
      await pane.locator('.monaco-list-row', { hasText: /^Report/ }).first().waitFor({ timeout: 30_000 });
      const rows = await pane.locator('.monaco-list-row').allInnerTexts();
      assert(rows.some((r) => /GSM8K \d/.test(r)), `no accuracy figure in ${rows.join(' | ')}`);
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(outDir, '08-validation-done.png') });
    });

    await check('F1 > Ascend: Get Started with Ascend Adapt opens the walkthrough', async () => {
      await runPalette(page, 'Ascend: Get Started with Ascend Adapt');
      await page.locator('.gettingStartedContainer', { hasText: /Get started with Ascend Adapt/ }).first().waitFor({ timeout: 30_000 });
      await page.locator('.gettingStartedContainer .getting-started-step', { hasText: /Check the environment/ }).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(outDir, '09-walkthrough.png') });
      await page.keyboard.press('Escape');
      // Tidying up after the check, not part of it.
      await runPalette(page, 'View: Close All Editors').catch(() => page.keyboard.press('Escape'));
    });
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, JSON.stringify(counts));
    process.stdout.write(`UI smoke: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s); screenshots in ${path.relative(root, outDir)}/\n`);
    process.exitCode = counts.failed ? 1 : 0;
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  counts.failed++;
  if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, JSON.stringify(counts));
  process.exitCode = 1;
});

/** Collapses a sidebar pane if it is expanded (its header toggles, so a blind click could open it). */
async function collapsePane(page, name) {
  const header = page.locator('#workbench\\.parts\\.sidebar .pane-header', { hasText: name }).first();
  if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
}

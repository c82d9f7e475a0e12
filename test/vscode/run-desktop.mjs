// The same suite in desktop VS Code through @vscode/test-electron 2.5.x, for machines that can download
// VS Code (it cannot here: no internet). `npm run test:desktop`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSuite } from './build-suite.mjs';
import { root } from './code-server.mjs';

async function main() {
  const suite = await buildSuite();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ascend-desktop-'));
  const folder = path.join(work, 'workspace');
  fs.cpSync(path.join(root, 'test', 'fixtures', 'vscode', 'workspace'), folder, { recursive: true });
  const countsFile = path.join(work, 'counts.json');
  try {
    await runTests({
      version: '1.100.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      launchArgs: [folder, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: { ASCEND_COUNTS_FILE: countsFile, ASCEND_SUITE_WORKDIR: work },
    });
  } finally {
    if (fs.existsSync(countsFile)) {
      const c = fs.readFileSync(countsFile, 'utf8');
      process.stdout.write(`desktop suite: ${c}\n`);
      if (process.env.COUNTS_FILE) fs.writeFileSync(process.env.COUNTS_FILE, c);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});

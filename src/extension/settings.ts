import { z } from 'zod';

/**
 * Every setting of the extension as one zod schema (no vscode import, so plain-Node tests check it against
 * package.json). config.ts reads VS Code's values through it.
 */
export const SECTION = 'ascendAdapt';

const ExtraHostSchema = z.object({
  alias: z.string().regex(/^[A-Za-z0-9._-]+$/, 'alias: letters, digits, . _ - only'),
  hostname: z.string().regex(/^[^\s"#]+$/, 'hostname: no spaces, quotes or #'),
  user: z.string().regex(/^[^\s"#]+$/).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  identityFile: z.string().regex(/^[^\s"#]+$/).optional(),
  proxyJump: z.string().regex(/^[^\s"#]+$/).optional(),
});

export const settingsSchema = z.object({
  pythonPath: z.string().trim().min(1).default('python3'),
  simulatedHostDir: z.string().trim().default(''),
  /** Hosts added in the sidebar: addresses only, never secrets. */
  hosts: z.array(ExtraHostSchema).default([]),
  'ssh.configFile': z.string().trim().default(''),
  'ssh.knownHostsFile': z.string().trim().default(''),
  // Language server (the server validates them again with the core's LintSettings; defaults are equal,
  // test/extension/config.test.ts checks it).
  'lint.enable': z.boolean().default(true),
  'lint.include': z.array(z.string()).default([]),
  'lint.exclude': z.array(z.string()).default(['**/node_modules/**', '**/.git/**', '**/dist/**', '**/.venv/**', '**/site-packages/**']),
  'lint.chip': z.string().default(''),
  'lint.longContextThreshold': z.number().int().positive().default(8192),
  'lint.maxFileSizeKB': z.number().int().positive().default(4096),
  'lint.torchNpuVersion': z.string().default(''),
  'lint.extraPaths': z.array(z.string()).default([]),
  /** Lint the whole workspace in the background (trusted workspaces), so Problems lists closed files too. */
  'lint.workspace': z.boolean().default(true),
});

export type Settings = z.infer<typeof settingsSchema>;

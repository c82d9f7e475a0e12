import * as l10n from '@vscode/l10n';
import { opt, type OptionDecls } from '../options';

/**
 * The two request timeouts, with one meaning in smoke, accuracy and perf (and the same names in profiles and
 * VS Code): the whole request, and silence from the server.
 */
export const timeoutOptions = {
  'request-timeout': opt.float({ metavar: 'SECONDS', above: 0, help: () => l10n.t('seconds one request may take in all (default: no limit)') }),
  'stall-timeout': opt.float({ metavar: 'SECONDS', above: 0, help: () => l10n.t('seconds without a byte from the server before a request fails (default 60)') }),
} satisfies OptionDecls;

import { parseArgs } from 'node:util';
import * as l10n from '@vscode/l10n';
import { UsageError, type OptionSpec } from './command';

/** node:util parseArgs, with its errors turned into UsageError (exit 2) instead of a stack trace. */
export function parse<T extends OptionSpec>(args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(l10n.t('bad arguments: {0}', (e as Error).message));
  }
}

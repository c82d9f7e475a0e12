import type { Transport } from '../core/transport/transport';
import type { TargetValues } from './target';

// Filled in by the SSH host layer (issue 3): resolves ALIAS through ssh_config, verifies the host key
// against known_hosts (--accept-new), authenticates, and returns the ssh transport.
export async function openSshTarget(alias: string, _values: TargetValues): Promise<Transport> {
  throw new Error(`ssh transport not built yet (host ${alias})`);
}

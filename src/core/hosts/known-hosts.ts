/**
 * known_hosts the way OpenSSH reads and writes it: plain and hashed (`|1|salt|hmac`) host fields,
 * `[host]:port` for non-22 ports, comma lists, `*`/`?` patterns and `!` negation, `@revoked` and
 * `@cert-authority` markers (cert-authority lines are skipped: certificates are not used here).
 * Fingerprints are `SHA256:<base64 without padding>`, exactly as `ssh-keygen -l` prints them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface HostKeyInfo {
  /** The name known_hosts is searched for: `host` or `[host]:port`. */
  hostField: string;
  /** e.g. ssh-ed25519 */
  keyType: string;
  /** base64 of the key blob */
  keyBase64: string;
  /** SHA256:… as ssh-keygen -l prints it */
  fingerprint: string;
}

export type HostKeyVerdict =
  | { status: 'known'; file: string; line: number }
  | { status: 'unknown' }
  /** The host has entries but none match this key: refuse, like OpenSSH. file:line is the entry to fix. */
  | { status: 'changed'; file: string; line: number; knownKeyType: string; knownFingerprint: string }
  | { status: 'revoked'; file: string; line: number };

export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type written inside an SSH public key blob (string length-prefixed). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > 64 || 4 + n > blob.length) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

export function hostFieldFor(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function hostKeyInfo(host: string, port: number, keyBlob: Buffer): HostKeyInfo {
  return {
    hostField: hostFieldFor(host, port),
    keyType: keyTypeOfBlob(keyBlob),
    keyBase64: keyBlob.toString('base64'),
    fingerprint: fingerprintSha256(keyBlob),
  };
}

function patternToRegExp(p: string): RegExp {
  return new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
}

/** Does one known_hosts host field (comma list, maybe hashed) name this host? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  let matched = false;
  for (const raw of field.split(',')) {
    const neg = raw.startsWith('!');
    const pat = neg ? raw.slice(1) : raw;
    if (patternToRegExp(pat).test(name)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}

interface Entry { file: string; line: number; marker?: string; hosts: string; keyType: string; keyBase64: string }

function readEntries(file: string): Entry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const parts = l.split(/\s+/);
    let marker: string | undefined;
    if (parts[0].startsWith('@')) marker = parts.shift();
    if (parts.length < 3) return;
    out.push({ file, line: i + 1, marker, hosts: parts[0], keyType: parts[1], keyBase64: parts[2] });
  });
  return out;
}

/**
 * Check a presented host key against known_hosts files. A match anywhere wins; a revoked key is refused;
 * entries for the host with other keys mean "changed" (OpenSSH's REMOTE HOST IDENTIFICATION HAS CHANGED),
 * preferring an entry of the same key type for the file:line reported.
 */
export function checkHostKey(files: readonly string[], host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const name = hostFieldFor(host, port);
  const b64 = keyBlob.toString('base64');
  const type = keyTypeOfBlob(keyBlob);
  const entries = files.flatMap(readEntries).filter((e) => e.marker !== '@cert-authority');
  for (const e of entries) {
    if (e.marker === '@revoked' && e.keyBase64 === b64) return { status: 'revoked', file: e.file, line: e.line };
  }
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const same = forHost.find((e) => e.keyBase64 === b64);
  if (same) return { status: 'known', file: same.file, line: same.line };
  if (forHost.length === 0) return { status: 'unknown' };
  const e = forHost.find((x) => x.keyType === type) ?? forHost[0];
  let knownFingerprint = '';
  try { knownFingerprint = fingerprintSha256(Buffer.from(e.keyBase64, 'base64')); } catch { /* unparsable */ }
  return { status: 'changed', file: e.file, line: e.line, knownKeyType: e.keyType, knownFingerprint };
}

/** Key types known for this host (to prefer them in host-key negotiation, as OpenSSH does). */
export function knownKeyTypes(files: readonly string[], host: string, port: number): string[] {
  const name = hostFieldFor(host, port);
  const types = files.flatMap(readEntries).filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** Append an accepted key (OpenSSH's format; hashed when HashKnownHosts is on). Returns file and line. */
export function appendHostKey(file: string, host: string, port: number, keyBlob: Buffer, hashed = false): { file: string; line: number } {
  const name = hostFieldFor(host, port);
  const field = hashed ? hashHostName(name) : name;
  const line = `${field} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let existing = '';
  try { existing = fs.readFileSync(file, 'utf8'); } catch { /* new file */ }
  const prefix = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  fs.appendFileSync(file, prefix + line, { mode: 0o600 });
  const lines = (existing + prefix).split('\n').length;
  return { file, line: existing.length === 0 ? 1 : lines };
}

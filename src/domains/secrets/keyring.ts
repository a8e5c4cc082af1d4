import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The keys secrets are sealed with, as `SWITCHYARD_ENCRYPTION_KEYS` gives them:
 * `id:base64key` entries separated by commas, each key 32 random bytes (AES-256). The first key
 * seals new secrets; every key opens the secrets sealed under its id, so a rotation puts the new
 * key first and keeps the old ones until the re-encryption job has moved everything over.
 */
export interface Keyring {
  /** The key new secrets are sealed with. */
  current: { id: string; key: KeyObject };
  /** Key objects rather than bytes: each seal and open would otherwise make one from the bytes again. */
  byId: ReadonlyMap<string, KeyObject>;
}

/** A start that cannot go on safely for want of the right keys; its message says what to do. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** How to make a key, for the messages that ask for one. */
export const GENERATE_KEY_HINT = `generate one with: node -e "console.log('k1:' + require('crypto').randomBytes(32).toString('base64'))"`;

/** Parses `id:base64key,...`; throws a KeyringError naming the first problem. */
export function parseKeyring(text: string): Keyring {
  const byId = new Map<string, KeyObject>();
  let current: Keyring['current'] | null = null;
  for (const [index, entry] of text.split(',').map((part) => part.trim()).entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const encoded = entry.slice(separator + 1);
    if (separator < 0 || !KEY_ID.test(id)) {
      throw new KeyringError(`entry ${index + 1} must be "id:base64key" with an id of 1 to 32 letters, digits, "_" or "-"; ${GENERATE_KEY_HINT}`);
    }
    const bytes = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(encoded) || bytes.length !== 32) {
      throw new KeyringError(`key "${id}" must be 32 bytes in standard base64 (44 characters); ${GENERATE_KEY_HINT}`);
    }
    if (byId.has(id)) throw new KeyringError(`key id "${id}" is given twice`);
    const key = createSecretKey(bytes);
    byId.set(id, key);
    current ??= { id, key };
  }
  if (!current) throw new KeyringError(`no key given; ${GENERATE_KEY_HINT}`);
  return { current, byId };
}

/** A fresh keyring of one random key, in the `SWITCHYARD_ENCRYPTION_KEYS` format. */
export function generateKeyringText(id = 'k1'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** Name of the file that keeps the embedded default's generated keys inside the data directory. */
export const KEY_FILE = 'encryption-keys';

/**
 * The keyring this process seals and opens secrets with: `SWITCHYARD_ENCRYPTION_KEYS` when set;
 * otherwise, on the embedded default only, `<data dir>/encryption-keys`, generated on the first
 * start (readable by this user only) with a warning. With `DATABASE_URL` the keys must be given:
 * every process on one database needs the same ones, and a key made up by one of them would seal
 * secrets the others cannot open.
 */
export async function loadKeyring(
  options: { encryptionKeys?: string | undefined; databaseUrl?: string | undefined; dataDir: string },
  log: (line: string) => void,
): Promise<Keyring> {
  if (options.encryptionKeys) return parseKeyring(options.encryptionKeys);
  if (options.databaseUrl) {
    throw new KeyringError(
      'SWITCHYARD_ENCRYPTION_KEYS must be set when DATABASE_URL is: every process on one database seals and opens secrets ' +
        `with the same keys; ${GENERATE_KEY_HINT}`,
    );
  }
  const file = join(options.dataDir, KEY_FILE);
  if (existsSync(file)) {
    try {
      return parseKeyring((await readFile(file, 'utf8')).trim());
    } catch (error) {
      throw new KeyringError(`${file}: ${(error as Error).message}`);
    }
  }
  const text = generateKeyringText();
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  log(
    `Generated an encryption key for secrets in ${file}. In production set SWITCHYARD_ENCRYPTION_KEYS instead ` +
      '(the same value in every process), and keep a copy: without it the stored secrets cannot be read.',
  );
  return parseKeyring(text);
}

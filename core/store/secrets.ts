/**
 * How connection secrets (bearer tokens, passwords, header values, TLS client keys) are sealed before they
 * reach the database. The composition root picks the box: Electron one built on `safeStorage` (the OS
 * keychain), the CLI the plaintext one, since a headless process has no keychain to ask. The store only ever
 * writes what `seal` returned, and records which kind sealed it so another kind of box fails clearly instead
 * of handing back ciphertext as a password.
 */
export type SecretBoxKind = 'os-keychain' | 'plaintext';

export interface SecretBox {
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
  kind: SecretBoxKind;
}

/**
 * Stores secrets as they are. Anyone who can read the store file can read them; front ends that use it
 * should say so where secrets are entered.
 */
export function createPlaintextSecretBox(): SecretBox {
  return {
    kind: 'plaintext',
    seal: async (plain) => plain,
    open: async (sealed) => sealed,
  };
}

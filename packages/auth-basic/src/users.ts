import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Checks a name and password against a fixed table without revealing which part was wrong. */
export type UserTable = (name: string, password: string) => boolean;

/**
 * Builds a checker over `{ name: password }`. Both sides go through HMAC-SHA256 under a random
 * per-instance key (a fixed 32-byte length whatever the input), and every entry is compared on
 * both the name and the password with `timingSafeEqual`, with no early exit: the time taken does
 * not depend on whether the name exists, on where it sits in the table, or on how much matched.
 */
export function userTable(users: Record<string, string>): UserTable {
  const key = randomBytes(32);
  const digest = (value: string): Buffer => createHmac('sha256', key).update(value, 'utf8').digest();
  const entries = Object.entries(users).map(([name, password]) => ({
    name: digest(name.normalize('NFC')),
    password: digest(password.normalize('NFC')),
  }));
  return function check(name: string, password: string): boolean {
    const n = digest(name);
    const p = digest(password);
    let found = 0;
    for (const entry of entries) {
      // `&` and `|` (not `&&`/`||`): both comparisons always run.
      found |= Number(timingSafeEqual(n, entry.name)) & Number(timingSafeEqual(p, entry.password));
    }
    return found === 1;
  };
}

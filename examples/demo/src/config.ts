/** The demo's built-in secrets and users: fine on a laptop, refused with NODE_ENV=production. */
export const DEMO_USERS: Readonly<Record<string, string>> = Object.freeze({ demo: 'demo-password' });
export const DEMO_KEYS: readonly string[] = Object.freeze(['demo-cookie-key-change-me-in-production']);
export const DEMO_JWT_SECRET = 'demo-jwt-secret-change-me-in-production-0123456789';

export interface DemoConfig {
  users: Record<string, string>;
  keys: string[];
  jwtSecret: string;
  /** Reverse proxies in front of the app (0: trust no X-Forwarded-* header). */
  trustedProxies: number;
}

/** A configuration the demo refuses to start with; its message says which variable to set. */
export class DemoConfigError extends Error {
  override name = 'DemoConfigError';
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

/** `DEMO_USERS="alice:secret one,bob:other"`: a password may hold ':' (split at the first one), not ','. */
function parseUsers(value: string | undefined): Record<string, string> | undefined {
  const entries = list(value);
  if (!entries) return undefined;
  const users: Record<string, string> = {};
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    if (colon < 1 || colon === entry.length - 1) {
      throw new DemoConfigError('DEMO_USERS must look like "name:password,name2:password2"');
    }
    users[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return users;
}

function parseTrustedProxies(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,2}$/.test(value)) {
    throw new DemoConfigError('DEMO_TRUSTED_PROXIES must be the number of reverse proxies in front of the app (0-99)');
  }
  return Number(value);
}

/** Shortest cookie key and JWT secret, in bytes (the session package refuses shorter keys). */
export const MIN_SECRET_BYTES = 32;

function checkSecrets(config: DemoConfig): void {
  if (config.keys.some((key) => Buffer.byteLength(key) < MIN_SECRET_BYTES)) {
    throw new DemoConfigError(`Each of DEMO_COOKIE_KEYS must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  if (Buffer.byteLength(config.jwtSecret) < MIN_SECRET_BYTES) {
    throw new DemoConfigError(`DEMO_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
}

/**
 * Reads users, cookie keys, the JWT secret and the number of trusted proxies from the environment.
 * Outside production a missing value falls back to the built-in demo value, so `npm start` needs
 * nothing; with NODE_ENV=production a missing or built-in value throws a DemoConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const config: DemoConfig = {
    users: parseUsers(env.DEMO_USERS) ?? { ...DEMO_USERS },
    keys: list(env.DEMO_COOKIE_KEYS) ?? [...DEMO_KEYS],
    jwtSecret: env.DEMO_JWT_SECRET || DEMO_JWT_SECRET,
    trustedProxies: parseTrustedProxies(env.DEMO_TRUSTED_PROXIES),
  };
  checkSecrets(config);
  if (env.NODE_ENV === 'production') {
    const builtIn: string[] = [];
    if (Object.entries(config.users).some(([name, password]) => DEMO_USERS[name] === password)) {
      builtIn.push('DEMO_USERS');
    }
    if (config.keys.some((key) => DEMO_KEYS.includes(key))) builtIn.push('DEMO_COOKIE_KEYS');
    if (config.jwtSecret === DEMO_JWT_SECRET) builtIn.push('DEMO_JWT_SECRET');
    if (builtIn.length) {
      throw new DemoConfigError(
        `Refusing to start with NODE_ENV=production on the demo's built-in ${builtIn.join(', ')}: ` +
          'set them in the environment (see examples/demo/README.md).',
      );
    }
  }
  return config;
}

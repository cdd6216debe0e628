import type Koa from 'koa';

export interface AppErrors {
  /** Every error the app emitted, in order. */
  readonly errors: unknown[];
  /** Throws when the app emitted an error the test did not take with `take()`. */
  assertNone(): void;
  /** Returns and forgets the errors emitted so far. */
  take(): unknown[];
}

/**
 * Listens to `app.on('error')` so a test can fail when the app emitted an error it did not expect
 * (and so Koa's default stderr logging stays quiet).
 */
export function collectAppErrors(app: Koa<any, any>): AppErrors {
  const errors: unknown[] = [];
  app.on('error', (err: unknown) => {
    errors.push(err);
  });
  return {
    errors,
    assertNone() {
      if (errors.length > 0) {
        const first = errors[0];
        const text = first instanceof Error ? (first.stack ?? first.message) : String(first);
        throw new Error(`the app emitted ${errors.length} unexpected error(s); first: ${text}`);
      }
    },
    take() {
      return errors.splice(0, errors.length);
    },
  };
}

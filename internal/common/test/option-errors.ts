import { expect, it } from 'vitest';

/** A call that must be refused, and the detail after `<factory>(): ` (the whole of it, or a pattern). */
export type OptionErrorCase = [label: string, call: () => unknown, detail: string | RegExp];

/**
 * One test a case: the call throws (or rejects with) a TypeError reading `<factory>(): <detail>`,
 * the one option error style of the kit (made by optionError() in src/options.ts).
 */
export function itRefusesOptions(factory: string, cases: OptionErrorCase[]): void {
  for (const [label, call, detail] of cases) {
    it(`${factory}(): ${label}`, async () => {
      let thrown: unknown;
      try {
        await call();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      const message = (thrown as Error).message;
      const prefix = `${factory}(): `;
      expect(message.startsWith(prefix), message).toBe(true);
      if (typeof detail === 'string') expect(message.slice(prefix.length)).toBe(detail);
      else expect(message.slice(prefix.length)).toMatch(detail);
    });
  }
}

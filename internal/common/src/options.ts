import { isPlainObject } from './objects.js';

/** The one style of every option error in the kit: `<factory>(): <detail>`. */
export function optionError(factory: string, detail: string): TypeError {
  return new TypeError(`${factory}(): ${detail}`);
}

/** The options a factory was given: `{}` for undefined; anything but a plain object is refused. */
export function optionsObject<T extends object>(factory: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (!isPlainObject(options)) throw optionError(factory, 'options must be an object');
  return options;
}

/** Refuses any key not in `known`, naming the first one: `<factory>(): unknown option "formt"`. */
export function rejectUnknownOptions(factory: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw optionError(factory, `unknown option ${JSON.stringify(key)}`);
  }
}

import { inspect } from 'node:util';

/**
 * What both kinds of `ctx.session` share: koa-session's own fields, in its order, and the views of
 * the data (the data itself lives in own properties of the subclass instance).
 */
export abstract class SessionFields {
  [key: string]: unknown;
  isNew = false;
  _requireSave = false;
  _expire: number | undefined = undefined;

  toJSON(): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (const key in this) {
      if (key === 'isNew' || key[0] === '_') continue;
      const value = this[key];
      if (typeof value === 'function') continue;
      obj[key] = value;
    }
    return obj;
  }

  [inspect.custom](): Record<string, unknown> {
    return this.toJSON();
  }

  get length(): number {
    return Object.keys(this.toJSON()).length;
  }

  get populated(): boolean {
    return this.length > 0;
  }
}

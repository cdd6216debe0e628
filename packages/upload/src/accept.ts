import { optionError } from '@koa-kit/common';

/** A compiled `accept` list: MIME types (`image/png`), MIME patterns (`image/*`) and extensions (`.pdf`). */
export type AcceptTest = (mimetype: string, originalname: string) => boolean;

const MIME = /^[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+)$/;
const EXTENSION = /^\.[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$/;

export function compileAccept(accept: unknown): AcceptTest | null {
  if (accept === undefined) return null;
  if (!Array.isArray(accept) || accept.length === 0) {
    throw optionError('upload', '"accept" option must be a non-empty array of MIME types and extensions');
  }
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const extensions: string[] = [];
  for (const entry of accept) {
    if (typeof entry !== 'string') throw optionError('upload', '"accept" option must contain only strings');
    const value = entry.trim().toLowerCase();
    if (EXTENSION.test(value)) extensions.push(value);
    else if (value === '*/*') prefixes.push('');
    else if (MIME.test(value)) {
      if (value.endsWith('/*')) prefixes.push(value.slice(0, -1));
      else exact.add(value);
    } else {
      throw optionError(
        'upload',
        `"accept" option: "${entry}" is neither a MIME type (image/png, image/*) nor an extension (.pdf)`,
      );
    }
  }
  return (mimetype, originalname) => {
    const type = mimetype.split(';', 1)[0]!.trim().toLowerCase();
    if (exact.has(type)) return true;
    for (const prefix of prefixes) if (type.startsWith(prefix)) return true;
    if (extensions.length > 0) {
      const name = originalname.toLowerCase();
      for (const ext of extensions) if (name.endsWith(ext) && name.length > ext.length) return true;
    }
    return false;
  };
}

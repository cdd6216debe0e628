// Bundled into each package's build (tsup noExternal): no published package imports this at run time.
export { ENVELOPE_STATE } from './envelope-state.js';
export { isPrintableAscii, quote } from './http.js';
export { isPlainObject } from './objects.js';
export { optionError, optionsObject, rejectUnknownOptions } from './options.js';

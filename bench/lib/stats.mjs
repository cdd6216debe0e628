// The arithmetic of a run: the order of measurements, and ratios that survive drift.
import { ROOT_EVERY } from './config.mjs';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * One round's measurements: the group's members in depth-first order (reversed in even rounds),
 * with the group's root reference measured again after every ROOT_EVERY members, so every
 * scenario has a reference measurement close by in time.
 */
export function roundSchedule(members, r) {
  const [root, ...rest] = members;
  const seq = [root];
  rest.forEach((m, i) => {
    seq.push(m);
    if ((i + 1) % ROOT_EVERY === 0 && i + 1 < rest.length) seq.push(root);
  });
  return r % 2 === 0 ? seq : seq.reverse();
}

/** The reference's figure at time t: linear between the measurements around t, else the nearest. */
export function valueAt(samples, t, key) {
  let before = null;
  let after = null;
  for (const x of samples) {
    if (x[key] == null) continue;
    if (x.t <= t && (!before || x.t > before.t)) before = x;
    if (x.t >= t && (!after || x.t < after.t)) after = x;
  }
  if (before && after) {
    if (after.t === before.t) return before[key];
    return before[key] + ((t - before.t) / (after.t - before.t)) * (after[key] - before[key]);
  }
  return (before ?? after)?.[key] ?? null;
}

/** Per-measurement ratios of `m` over `ref` (the reference interpolated to each measurement's time). */
export function ratios(m, ref, key) {
  return m.samples
    .filter((x) => x[key] != null)
    .map((x) => {
      const r = valueAt(ref.samples, x.t, key);
      return r ? x[key] / r : null;
    })
    .filter((x) => x != null);
}

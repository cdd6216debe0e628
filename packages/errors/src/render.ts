import { ENVELOPE_STATE } from '@koa-kit/common';
import type { Context } from 'koa';
import { preferredOffer } from './accept.js';
import { read } from './json-safe.js';
import type { Problem } from './problem.js';

export type Negotiated = 'problem' | 'html' | 'text';

export interface Rendered {
  type: string;
  body: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
export const JSON_TYPE = 'application/json; charset=utf-8';
export const HTML_TYPE = 'text/html; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** problem+json for JSON clients, `*\/*` and a missing Accept; HTML for browsers; text otherwise. */
export function negotiate(ctx: Context): Negotiated {
  const header = ctx.req.headers.accept;
  const accepted = preferredOffer(Array.isArray(header) ? header.join(',') : header);
  if (accepted === 'text/html') return 'html';
  if (accepted === 'text/plain' || accepted === false) return 'text';
  return 'problem';
}

export function renderProblem(problem: Problem): Rendered {
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: problem.instance,
    code: problem.code,
    ...problem.extensions,
  };
  if (problem.stack !== undefined) body.stack = problem.stack;
  return { type: PROBLEM_TYPE, body: JSON.stringify(body) };
}

/** What statusEnvelope() publishes on ctx.state (ENVELOPE_STATE) for the envelope of errors (both optional). */
export interface EnvelopeStyle {
  codeBase: number;
  messages: ReadonlyMap<number, string> | undefined;
}

export function envelopeStyle(state: unknown): EnvelopeStyle {
  const codeBase = read(state, ENVELOPE_STATE.codeBase);
  const messages = read(state, ENVELOPE_STATE.messages);
  return {
    codeBase: Number.isSafeInteger(codeBase) ? (codeBase as number) : 0,
    messages: messages instanceof Map ? messages : undefined,
  };
}

/**
 * FastFlyer's error envelope `{ code, message, detail, data: null }`: `message` the code's default
 * message, `detail` the string a client may see; the kit's own `code` and extensions go in `error`.
 */
export function renderEnvelope(problem: Problem, style: EnvelopeStyle): Rendered {
  const error: Record<string, unknown> = { code: problem.code, ...problem.extensions };
  if (problem.stack !== undefined) error.stack = problem.stack;
  const known = style.messages?.get(problem.envelopeCode);
  const body = {
    code: style.codeBase + problem.envelopeCode,
    message: typeof known === 'string' ? known : problem.title,
    detail: problem.detail,
    data: null,
    error,
  };
  return { type: JSON_TYPE, body: JSON.stringify(body) };
}

export function renderHtml(problem: Problem): Rendered {
  const heading = escapeHtml(`${problem.status} ${problem.title}`);
  let extra = '';
  if (Object.keys(problem.extensions).length > 0) {
    extra += `<pre>${escapeHtml(JSON.stringify(problem.extensions, null, 2))}</pre>\n`;
  }
  if (problem.stack !== undefined) extra += `<pre>${escapeHtml(problem.stack)}</pre>\n`;
  const body =
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<title>${heading}</title>\n</head>\n<body>\n<h1>${heading}</h1>\n` +
    `<p>${escapeHtml(problem.detail)}</p>\n<p><code>${escapeHtml(problem.code)}</code></p>\n${extra}</body>\n</html>\n`;
  return { type: HTML_TYPE, body };
}

export function renderText(problem: Problem): Rendered {
  const body = problem.stack === undefined ? problem.detail : `${problem.detail}\n\n${problem.stack}`;
  return { type: TEXT_TYPE, body };
}

export function renderNegotiated(kind: Negotiated, problem: Problem): Rendered {
  if (kind === 'html') return renderHtml(problem);
  if (kind === 'text') return renderText(problem);
  return renderProblem(problem);
}

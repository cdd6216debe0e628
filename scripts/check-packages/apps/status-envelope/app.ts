// A TypeScript user of @koa-kit/status-envelope: options, the codes table, ctx.state.envelope.
import {
  type CodeEntry,
  codes,
  type Envelope,
  type EnvelopeState,
  type StatusEnvelopeOptions,
  statusEnvelope,
  type ThirdPartyError,
  thirdPartyError,
} from '@koa-kit/status-envelope';
import Koa from 'koa';

const options: StatusEnvelopeOptions = { httpStatus: 'always-200' };
const notFound: 404 = codes.HTTP_404_NOT_FOUND.code;
const entry: CodeEntry = codes.HTTP_604_THIRD_PARTY_TIMEOUT_ERROR;

const app = new Koa();
app.use(statusEnvelope(options));
app.use((ctx) => {
  const shape: EnvelopeState = { code: 0, message: 'fine', pageInfo: { total: 1, offset: 0, size: 10 } };
  ctx.state.envelope = shape;
  // @ts-expect-error ctx.state.envelope is typed by the package, not `any`
  ctx.state.envelope = 'skip';
  const body: Envelope<{ id: number }> = { code: notFound, message: entry.name, detail: '', data: { id: 1 } };
  ctx.body = body.data;
  if (ctx.query.fail) {
    const err: ThirdPartyError = thirdPartyError(604, 'upstream timed out', { cause: new Error('ETIMEDOUT') });
    const status: number = err.status;
    const envelopeCode: 600 | 601 | 602 | 603 | 604 | 605 | 606 = err.envelopeCode;
    ctx.set('X-Debug', `${status} ${envelopeCode}`);
    throw err;
  }
});

// @ts-expect-error only the third-party codes 600-606 make a thirdPartyError
thirdPartyError(404);

export default app;

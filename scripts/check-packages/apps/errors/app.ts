// A TypeScript user of @koa-kit/errors: options, a custom formatter typed with Problem.
import { type ErrorFormatter, type ErrorsOptions, errors, type Problem } from '@koa-kit/errors';
import Koa from 'koa';

const asText: ErrorFormatter = (ctx, problem: Problem) => {
  const status: number = problem.status;
  const code: string = problem.code;
  ctx.type = 'text/plain';
  ctx.body = `${status} ${code}: ${problem.detail}`;
};

const options: ErrorsOptions = { format: 'auto', stack: false, maxMessageLength: 256 };
const app = new Koa();
app.use(errors(options));
app.use(errors({ format: asText, notFound: false }));
app.use(errors({ format: 'envelope' }));

// @ts-expect-error "format" is 'auto' | 'envelope' | a function
errors({ format: 'xml' });

app.use((ctx) => {
  ctx.throw(404, 'No such thing', { code: 'THING_NOT_FOUND' });
});

export default app;

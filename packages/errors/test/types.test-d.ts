// Compile-time checks, run by `npx tsc -p tsconfig.json --noEmit` (the repository typecheck).
import { errors, type Problem } from '@koa-kit/errors';
import Koa from 'koa';

const app = new Koa();
app.use(errors());
app.use(errors({ format: 'envelope', stack: false, notFound: false, emitClientErrors: true, maxMessageLength: 256 }));
app.use(
  errors({
    format: (ctx, problem: Problem) => {
      const code: string = problem.code;
      const status: number = problem.status;
      const extras: Record<string, unknown> = problem.extensions;
      ctx.body = { code, status, extras };
    },
  }),
);

// @ts-expect-error format is 'auto', 'envelope' or a function
errors({ format: 'xml' });
// @ts-expect-error stack is a boolean
errors({ stack: 'yes' });
// @ts-expect-error maxMessageLength is a number
errors({ maxMessageLength: '1k' });

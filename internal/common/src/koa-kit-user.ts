// The principal on `ctx.state.user`, declared once for @koa-kit/auth-basic and @koa-kit/jwt. Each
// package's build inlines this block into its own .d.ts, so both publish the same augmentation and
// an app that installs both still compiles. `KoaKitUser` lives in module 'koa' (in neither
// package), so one augmentation in the app types `ctx.state.user` for both:
// `declare module 'koa' { interface KoaKitUser { sub: string } }`.
declare module 'koa' {
  /** The authenticated principal; augment it in module 'koa' (not '@koa-kit/jwt' or '@koa-kit/auth-basic'). */
  interface KoaKitUser extends Record<string, unknown> {}
  interface DefaultState {
    /** The authenticated principal, set by @koa-kit/auth-basic or @koa-kit/jwt. */
    user?: KoaKitUser;
  }
}

export {};

import { itRefusesOptions } from '@koa-kit/common/test';
import { pageInfo, statusEnvelope, thirdPartyError } from '@koa-kit/status-envelope';
import { describe } from 'vitest';

describe('option and argument errors read `<function>(): <detail>`', () => {
  itRefusesOptions('statusEnvelope', [
    ['options that are not an object', () => statusEnvelope('keep' as never), 'options must be an object'],
    ['an unknown option', () => statusEnvelope({ codebase: 1 } as never), 'unknown option "codebase"'],
    ['a bad httpStatus', () => statusEnvelope({ httpStatus: 200 as never }), /^"httpStatus" option must be/],
    ['a bad codeBase', () => statusEnvelope({ codeBase: -1 }), /^"codeBase" option must be an integer/],
    ['a bad messages', () => statusEnvelope({ messages: 'fr' as never }), '"messages" option must be "en" or "zh"'],
  ]);
  itRefusesOptions('pageInfo', [['a bad page', () => pageInfo({ total: -1, offset: 0, size: 1 }), /^needs \{ total/]]);
  itRefusesOptions('thirdPartyError', [
    ['an unknown code', () => thirdPartyError(599 as never), 'code must be one of 600-606'],
    ['a bad message', () => thirdPartyError(600, 1 as never), 'message must be a string'],
    ['bad props', () => thirdPartyError(600, 'm', [] as never), 'props must be an object'],
  ]);
});

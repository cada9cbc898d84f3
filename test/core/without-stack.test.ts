import t from 'tap'
import { withoutStack } from '../../src/core/without-stack.js'
import { refusalError } from '../../src/spi/error-catalogue.js'

t.test('an error made without a stack: no frames, the limit restored, even when making it throws', async (t) => {
  const limit = Error.stackTraceLimit
  const made = withoutStack(() => new RangeError('refused'))
  t.equal(made.stack, 'RangeError: refused', 'the stack is the error line alone: no "at" frames were captured')
  t.equal(Error.stackTraceLimit, limit, 'restored')
  t.throws(() =>
    withoutStack(() => {
      throw new Error('making it failed')
    })
  )
  t.equal(Error.stackTraceLimit, limit, 'restored after a throw too')
  t.match(new Error('ordinary').stack, /\n\s+at /, 'every other error keeps its stack')
})

t.test('a refusal: the catalogue entry, its Retry-After, flagged, stackless', async (t) => {
  const refused = refusalError('RATE_LIMITED', { retryAfterSeconds: 3 })
  t.match(refused, { code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 3, refusal: true })
  t.notMatch(refused.stack ?? '', /\n\s+at /, 'no frames')
})

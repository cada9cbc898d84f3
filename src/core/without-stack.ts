/**
 * Makes an error without a stack trace. V8 records the stack of every Error as it is made,
 * which is most of what making one costs; a refusal answered at once (an open circuit, a
 * throttle gate, a rate limit, a bad credential) is made many times a second when it happens
 * at all, and its stack is never logged. Every other error keeps its stack.
 */
export function withoutStack<T extends Error>(make: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return make()
  } finally {
    Error.stackTraceLimit = limit
  }
}

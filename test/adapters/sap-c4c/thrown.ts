/** What a synchronous call throws (undefined when it returns), for `t.match` on a CrmFailure's kind. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

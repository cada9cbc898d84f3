/**
 * Waits for something another process or connection does (a Redis message, a reconnection),
 * asking every 10 ms: true once `condition` holds, false if it did not within `withinMs`.
 * For real servers only; a fake clock is for what the gateway times itself.
 */
export async function until(condition: () => boolean | Promise<boolean>, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs
  while (!(await condition())) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

/**
 * A plain Node HTTP server for a test, on 127.0.0.1 at a free port, closed with the test (its
 * open connections too, so a held answer never delays teardown). For answers no double gives:
 * raw statuses, garbage, resets.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Listens, registers the teardown, and resolves to `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(t: Teardown, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

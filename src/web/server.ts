import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { SecureVersion } from 'node:tls'
import type { FastifyInstance } from 'fastify'
import type { ServerContext, Service } from '../server-context.ts'
import type { ConfigKey } from '../config/schema.ts'
import { listen } from '../net/listen.ts'
import { buildWebApp } from './app.ts'

/** A TLS handshake that never completes would hold a socket forever (slowloris). */
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000
/** On shutdown, requests still running after this long are cut. */
const CLOSE_GRACE_MS = 2_000

/**
 * Starts the HTTP front door on `listen.http` and `listen.https` (the mail listeners' certificate;
 * a SIGHUP reload applies to the next connection).
 */
export async function startWeb(ctx: ServerContext): Promise<Service[]> {
  const services: Service[] = []
  try {
    for (const secure of [false, true]) {
      const key: ConfigKey = secure ? 'listen.https' : 'listen.http'
      const at = ctx.config.listener(key)
      if (!at) continue
      const app = buildWebApp(ctx, {
        secure,
        server: (handler) => secure ? createTlsServer(ctx, handler) : createHttpServer(handler),
      })
      await app.ready()
      const address = await listen(app.server, key, at)
      services.push({ name: secure ? 'https' : 'http', address, close: () => closeApp(app) })
    }
  } catch (error) {
    await Promise.all(services.map((s) => s.close()))
    throw error
  }
  return services
}

/**
 * Fastify closes only servers it bound itself; this one was bound by `listen()` (for its one-line
 * error), so the server is closed here, in-flight requests finished and idle keep-alives cut.
 */
async function closeApp(app: FastifyInstance): Promise<void> {
  await app.close()
  const server = app.server
  if (!server.listening) return
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
    setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref()
  })
}

/** An HTTPS server that picks up a reloaded certificate (SIGHUP) for the connections that follow. */
function createTlsServer(ctx: ServerContext, handler: Parameters<typeof createHttpsServer>[1]) {
  const options = () => ({ ...ctx.tls.current(), minVersion: ctx.config.string('tls.min_version') as SecureVersion })
  let material = ctx.tls.current()
  const server = createHttpsServer({ ...options(), handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, handler)
  // Prepended: tls.Server's own 'connection' listener starts the handshake with the context set
  // at that moment, so the swap must happen before it runs.
  server.prependListener('connection', () => {
    const now = ctx.tls.current()
    if (now !== material) {
      material = now
      server.setSecureContext(options())
    }
  })
  return server
}

import type { Server as HttpServer } from 'node:http'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import { installErrorHandlers } from './errors.ts'
import { installSecurityHeaders } from './security-headers.ts'
import { registerAutoconfig } from './autoconfig.ts'
import { registerAutodiscover } from './autodiscover.ts'
import { registerMobileconfig } from './mobileconfig.ts'
import { registerHealth } from './health.ts'
import { registerMetrics } from './metrics.ts'

/** Default request body limit: nothing served here takes more (routes may set a lower one). */
export const BODY_LIMIT = 1024 * 1024
/** A client that sends its headers slower than this is cut (slowloris). */
const HEADERS_TIMEOUT_MS = 20_000
/** A whole request (headers + body) must arrive within this. */
const REQUEST_TIMEOUT_MS = 60_000
/** Idle keep-alive connections are closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000

/**
 * The one HTTP application, mounted on both `listen.http` and `listen.https` (DESIGN "Client
 * access": HTTP protocols mount here). `server` is the node server it runs on.
 */
export function buildWebApp(ctx: ServerContext, options: { secure: boolean; server: (handler: Parameters<typeof import('node:http').createServer>[1]) => HttpServer }): FastifyInstance {
  const app = Fastify({
    serverFactory: (handler) => {
      const server = options.server(handler)
      server.headersTimeout = HEADERS_TIMEOUT_MS
      server.requestTimeout = REQUEST_TIMEOUT_MS
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
      return server
    },
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
    // Requests are counted in metrics; per-request log lines would drown the mail logs.
    logController: new LogController({ disableRequestLogging: true }),
    loggerInstance: ctx.log.child({ service: options.secure ? 'https' : 'http' }) as FastifyBaseLogger,
  })
  installSecurityHeaders(app, options)
  installErrorHandlers(app, ctx.log)
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    ctx.metrics.httpRequests.inc({ route, status: `${Math.floor(reply.statusCode / 100)}xx` })
  })
  registerHealth(app, ctx)
  registerMetrics(app, ctx)
  registerAutoconfig(app, ctx)
  registerAutodiscover(app, ctx)
  registerMobileconfig(app, ctx)
  return app
}

import type { FastifyInstance } from 'fastify'

/**
 * Headers on every response, errors included. Nothing here is meant to be framed, sniffed or run
 * as a script; HSTS only on HTTPS (RFC 6797 §7.2: it must not be sent over plain HTTP).
 */
const HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'interest-cohort=()',
  'cache-control': 'no-store',
}

export function installSecurityHeaders(app: FastifyInstance, options: { secure: boolean }): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(HEADERS)) {
      if (!reply.hasHeader(name)) reply.header(name, value)
    }
    if (options.secure) reply.header('strict-transport-security', 'max-age=31536000')
    return payload
  })
}

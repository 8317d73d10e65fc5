import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import { CONFIG_KEYS, type ConfigKey } from '../config/schema.ts'

/** A readiness probe of a listener gives up after this long (a stuck accept queue is "not ready"). */
const PROBE_TIMEOUT_MS = 2_000

/**
 * `/healthz`: the process answers (liveness). `/readyz`: the database answers a query and every
 * configured listener accepts a TCP connection (readiness: take this node out of the load
 * balancer otherwise). Listeners on port 0 cannot be probed from outside their service; skipped.
 */
export function registerHealth(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', async (_request, reply) => {
    reply.type('application/json')
    return { status: 'ok' }
  })
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {}
    try {
      await ctx.store.accounts.get(0)
      checks.database = 'ok'
    } catch (error) {
      checks.database = `failed: ${(error as Error).message}`
    }
    const probes = CONFIG_KEYS.filter((s) => s.type === 'listener').map(async (spec) => {
      const at = ctx.config.listener(spec.key as ConfigKey)
      if (!at || at.port === 0) return
      const host = at.host === '0.0.0.0' ? '127.0.0.1' : at.host === '::' ? '::1' : at.host
      checks[spec.key] = (await probe(host, at.port)) ? 'ok' : 'not accepting connections'
    })
    await Promise.all(probes)
    const ready = Object.values(checks).every((v) => v === 'ok')
    reply.code(ready ? 200 : 503).type('application/json')
    return { status: ready ? 'ready' : 'not ready', checks }
  })
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_TIMEOUT_MS })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

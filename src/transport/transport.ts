/**
 * The transport service: the three SMTP listeners (MX, submission, submissions) and the queue
 * runner with local and remote delivery. `startTransport(ctx)` is the registered starter; tests
 * pass `options` to inject DNS, routes and the clock (STYLE: inject the outside world).
 */
import { Resolver } from 'node:dns/promises'
import type { SMTPServer } from 'smtp-server'
import type { ServerContext, Service } from '../server-context.ts'
import type { ConfigKey } from '../config/schema.ts'
import { listen } from '../net/listen.ts'
import type { BlobStore } from '../store/blobs/blob-store.ts'
import { openSpool } from './queue/spool.ts'
import { createSmtpServer } from './smtp/server.ts'
import type { SmtpRole } from './smtp/deps.ts'
import { Queue } from './queue/queue.ts'
import { QueueStore } from './queue/queue-store.ts'
import { QueueWorker } from './queue/worker.ts'
import { ConnectionPool } from './outbound/connection-pool.ts'
import { deliverRemote } from './outbound/deliver.ts'
import type { DnsResolver } from './outbound/mx.ts'
import { parseRoutes } from './router.ts'
import { trustedNetworks } from './trusted-networks.ts'

export interface TransportOptions {
  /** DNS for MX lookups; node:dns's Resolver by default. */
  resolver?: DnsResolver
  /** `[routes."domain"]` tables; by default the config file's (`config.routes()`). */
  routes?: Record<string, Record<string, unknown>>
  /** The queue's spool; by default `<data_dir>/queue` (kept apart from the store's blobs). */
  spool?: BlobStore
  now?: () => number
  /** Outbound connect/command timeout (tests). */
  outboundTimeoutMs?: number
}

const LISTENERS: ReadonlyArray<{ role: SmtpRole; key: ConfigKey }> = [
  { role: 'mx', key: 'listen.smtp' },
  { role: 'submission', key: 'listen.submission' },
  { role: 'submissions', key: 'listen.submissions' },
]

export async function startTransport(ctx: ServerContext, options: TransportOptions = {}): Promise<Service[]> {
  if (!ctx.engine) throw new Error('The transport needs ctx.engine (its queue lives in the database)')
  const now = options.now ?? Date.now
  const config = ctx.config
  const spool = options.spool ?? openSpool(config)
  const queueStore = new QueueStore(ctx.engine)
  const queue = new Queue({ store: queueStore, spool, durable: config.boolean('durable') })
  ctx.metrics.sources.queueLength = () => queueStore.length()
  const pool = new ConnectionPool({ perDestination: config.number('queue.per_destination'), total: config.number('queue.concurrency') })
  const routes = parseRoutes(options.routes ?? config.routes())
  const resolver = options.resolver ?? new Resolver()
  const log = ctx.log.child({ service: 'transport' })
  const worker = new QueueWorker({
    queue,
    store: ctx.store,
    directory: ctx.directory,
    config: () => ctx.config,
    log,
    metrics: ctx.metrics,
    deliverRemote: (job) => deliverRemote({ resolver, routes, pool, hostname: config.string('hostname'), log, timeoutMs: options.outboundTimeoutMs }, job),
    now,
  })
  const swept = await queue.sweepSpool()
  if (swept > 0) log.info({ swept }, 'removed queue spool files of messages never acknowledged')
  const trusted = trustedNetworks(config.list('trusted_networks'))
  const connectionsByIp = new Map<string, number>()
  const services: Service[] = []
  const servers: SMTPServer[] = []
  try {
    for (const { role, key } of LISTENERS) {
      const at = config.listener(key)
      if (!at) continue
      const smtp = createSmtpServer({ ctx, role, queue, trusted, connectionsByIp, now })
      smtp.on('error', (error) => log.warn({ err: error, role }, 'smtp server error'))
      followCertificate(ctx, smtp)
      servers.push(smtp)
      const address = await listen(smtp.server, key, at)
      services.push({ name: role === 'mx' ? 'smtp' : role, key, address, close: () => new Promise<void>((r) => smtp.close(() => r())) })
    }
  } catch (error) {
    for (const s of servers) s.close(() => {})
    throw error
  }
  const pending = await queue.store.nextDue()
  if (pending !== null) log.info({ nextAttempt: new Date(pending).toISOString() }, 'queue has undelivered messages; resuming')
  worker.start()
  services.push({
    name: 'queue',
    async close() {
      await worker.stop()
      pool.closeAll()
    },
  })
  return services
}

/** A reloaded certificate (SIGHUP) applies to the connections that follow. */
function followCertificate(ctx: ServerContext, smtp: SMTPServer): void {
  let material = ctx.tls.current()
  smtp.server.on('connection', () => {
    const current = ctx.tls.current()
    if (current !== material) {
      material = current
      smtp.updateSecureContext(current)
    }
  })
}

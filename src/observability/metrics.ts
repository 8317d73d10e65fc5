import { Counter, Gauge, Registry } from 'prom-client'

/**
 * Where gauges read the current state at scrape time, set by whoever owns the data once it runs:
 * the web server (which serves /metrics) sets `storeUsage`; the transport can set `queueLength`
 * (`ctx.metrics.sources.queueLength = () => …`). Until it does, the queue gauge has no sample
 * rather than a misleading zero.
 */
export interface MetricSources {
  storeUsage?: () => Promise<{ bytes: number; messages: number; accounts: number }>
  queueLength?: () => Promise<number>
}

/**
 * Prometheus metrics, one registry per server instance (no globals: tests run several servers in
 * one process). Every protocol increments these; `web/metrics.ts` serves the registry.
 */
export function createMetrics() {
  const registry = new Registry()
  const sources: MetricSources = {}
  // One store query per scrape for the three store gauges, however many of them are collected.
  let usage: ReturnType<NonNullable<MetricSources['storeUsage']>> | null = null
  const storeUsage = () => {
    if (!sources.storeUsage) return Promise.resolve(null)
    usage ??= sources.storeUsage().finally(() => setImmediate(() => { usage = null }))
    return usage
  }
  const storeGauge = (name: string, help: string, pick: (u: { bytes: number; messages: number; accounts: number }) => number) =>
    new Gauge({
      name, help, registers: [registry],
      async collect() {
        const u = await storeUsage()
        if (u) this.set(pick(u))
        else this.reset()
      },
    })
  return {
    registry,
    sources,
    connections: new Counter({ name: 'tidings_connections_total', help: 'Connections accepted', labelNames: ['protocol'] as const, registers: [registry] }),
    activeConnections: new Gauge({ name: 'tidings_connections_active', help: 'Connections open now', labelNames: ['protocol'] as const, registers: [registry] }),
    logins: new Counter({ name: 'tidings_logins_total', help: 'Authentication attempts', labelNames: ['protocol', 'result'] as const, registers: [registry] }),
    messages: new Counter({ name: 'tidings_messages_total', help: 'Messages by transport outcome', labelNames: ['outcome'] as const, registers: [registry] }),
    httpRequests: new Counter({ name: 'tidings_http_requests_total', help: 'HTTP requests by route and status class', labelNames: ['route', 'status'] as const, registers: [registry] }),
    pop3Retrieved: new Counter({ name: 'tidings_pop3_retrieved_bytes_total', help: 'Message bytes sent by POP3 RETR/TOP', registers: [registry] }),
    storeBytes: storeGauge('tidings_store_bytes', 'Bytes of mail held in all mailboxes (quota accounting)', (u) => u.bytes),
    storeMessages: storeGauge('tidings_store_messages', 'Messages held in all mailboxes', (u) => u.messages),
    storeAccounts: storeGauge('tidings_store_accounts', 'Mailboxes (store accounts)', (u) => u.accounts),
    queueLength: new Gauge({
      // Labelled so that, with no source, reset() leaves no sample at all (not a false 0).
      name: 'tidings_queue_length', help: 'Messages waiting in the transport queue', labelNames: ['queue'] as const, registers: [registry],
      async collect() {
        if (sources.queueLength) this.set({ queue: 'transport' }, await sources.queueLength())
        else this.reset()
      },
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

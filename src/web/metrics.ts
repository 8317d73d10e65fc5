import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import type { Store } from '../store/store.ts'

/**
 * Without a store method for totals, accounts are found by probing ids upward; this many missing
 * ids in a row ends the scan (deleted users leave gaps).
 */
const ACCOUNT_ID_GAP = 64
/** Probing stops here whatever happens: a scrape must not become a full table walk forever. */
const MAX_ACCOUNTS_SCANNED = 100_000

/**
 * Past this many accounts a scan costs real database time, so a scrape storm (several
 * Prometheus servers, a curl loop) could load the database: the total is then reused a while.
 */
const LARGE_SCAN_ACCOUNTS = 1_000
const LARGE_SCAN_REUSE_MS = 30_000

type Usage = { bytes: number; messages: number; accounts: number }

/** `/metrics`: the Prometheus text exposition of the server's registry. */
export function registerMetrics(app: FastifyInstance, ctx: ServerContext): void {
  let reuse: { until: number; usage: Usage } | null = null
  ctx.metrics.sources.storeUsage ??= async () => {
    if (reuse && Date.now() < reuse.until) return reuse.usage
    const usage = await storeUsage(ctx.store)
    reuse = usage.accounts > LARGE_SCAN_ACCOUNTS ? { until: Date.now() + LARGE_SCAN_REUSE_MS, usage } : null
    return usage
  }
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics()
    reply.type(ctx.metrics.registry.contentType)
    return text
  })
}

/**
 * Bytes and messages over every mailbox, from the store's exact quota accounting. Uses
 * `store.usage()` when the store offers one; otherwise sums `store.accounts.get(id)`.
 */
export async function storeUsage(store: Store): Promise<Usage> {
  const direct = (store as Store & { usage?: () => Promise<Usage> }).usage
  if (typeof direct === 'function') return direct.call(store)
  const total: Usage = { bytes: 0, messages: 0, accounts: 0 }
  let misses = 0
  for (let id = 1; id <= MAX_ACCOUNTS_SCANNED && misses < ACCOUNT_ID_GAP; id += ACCOUNT_ID_GAP) {
    const ids = Array.from({ length: ACCOUNT_ID_GAP }, (_, i) => id + i)
    const infos = await Promise.all(ids.map((i) => store.accounts.get(i)))
    for (const info of infos) {
      if (!info) { misses++; continue }
      misses = 0
      total.accounts++
      total.bytes += info.usedBytes
      total.messages += info.usedMessages
    }
  }
  return total
}

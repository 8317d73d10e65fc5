/**
 * The system attendant's deleted-item retention task: purges Recoverable Items older than
 * `store.deleted_item_retention` (the store also purges once at open). Exchange's managed folder
 * assistant does the same work on a schedule.
 */
import type { ServerContext, Service } from '../server-context.ts'

/** How often expired retained items are purged: retention is counted in days, an hour late is fine. */
export const PURGE_EVERY_MS = 60 * 60_000

export async function startDeletedItemRetention(ctx: ServerContext): Promise<Service[]> {
  const recoverable = ctx.store.recoverable
  if (!recoverable) return []
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = recoverable.purge().then(
      (n) => { if (n > 0) ctx.log.info({ purged: n }, 'deleted-item retention: purged expired recoverable items') },
      (error: unknown) => { ctx.log.error({ err: error }, 'deleted-item retention: purge failed') },
    )
  }
  const timer = setInterval(tick, PURGE_EVERY_MS)
  timer.unref()
  return [{
    name: 'deleted-item-retention',
    async close() {
      clearInterval(timer)
      await running
    },
  }]
}

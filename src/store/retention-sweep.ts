import { sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { sweepBlobs } from './emails-remove.ts'
import { PURGE_BATCH, releaseRetained } from './recoverable-retain.ts'
import { NO_RETENTION } from './retention.ts'

/**
 * Deletes retained items deleted at least `store.deleted_item_retention` before `now` (every one
 * when the retention is 0, e.g. after it was turned off) and releases their blob references; the
 * blobs nobody references any more go once each batch has committed. Batched, so a purge of a
 * big store does not hold the writer for long. Also takes rows of accounts that no longer exist.
 * Returns how many items went.
 */
export async function purgeExpired(ctx: StoreContext, now: number, signal?: AbortSignal): Promise<number> {
  const policy = ctx.retention ?? NO_RETENTION
  const cutoff = now - policy.retentionMs
  let purged = 0
  for (;;) {
    if (signal?.aborted) return purged
    const batch = await ctx.engine.write(async (tx) => {
      const ids = await tx.all<{ id: number }>(sql`SELECT r.id FROM recoverable_items r LEFT JOIN accounts a ON a.id = r.account_id
        WHERE r.deleted_at <= ${cutoff} OR a.id IS NULL ORDER BY r.id LIMIT ${PURGE_BATCH}`)
      if (ids.length === 0) return { count: 0, released: [] as string[] }
      return releaseRetained(tx, sql`id IN (${sql.list(ids.map((r) => r.id))})`)
    })
    purged += batch.count
    // Best effort: a blob left behind by a failed sweep is found again by sweepUnreferenced.
    await sweepBlobs(ctx, batch.released).catch(() => {})
    if (batch.count < PURGE_BATCH) return purged
  }
}

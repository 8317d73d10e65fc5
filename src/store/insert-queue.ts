import { sql, type Tx } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { INSERT_CHUNK, insertEmails } from './emails-insert-batch.ts'
import { insertEmail, type PreparedEmail } from './emails-write.ts'
import type { AccountId, AppendResult, FolderId } from './store.ts'

/** One email to insert: an IMAP APPEND (a folder) or one account's copy of a local delivery ('inbox'). */
export interface InsertRequest {
  account: AccountId
  folder: FolderId | 'inbox'
  email: PreparedEmail
  /** Makes the insert idempotent per account (the queue's id of a delivery). */
  deliveryId?: string
}

/** `fresh` is false when `deliveryId` had been delivered already and this is the first result. */
export interface InsertOutcome {
  result: AppendResult
  fresh: boolean
}

interface Entry extends InsertRequest {
  outcome?: InsertOutcome | Error
}

/** The batch still taking requests, per store: it closes when its write starts. */
const open = new WeakMap<StoreContext, Entry[]>()
/** Each batch's write: resolves to undefined, or to the error that failed the whole write. */
const batches = new WeakMap<Entry[], Promise<unknown>>()

/**
 * Inserts an email in the next group commit. Every request made before that write starts goes
 * into the same write job, where emails for the same folder are inserted together by multi-row
 * statements (emails-insert-batch.ts) instead of one job, savepoint and ~15 statements each.
 * Resolves once durable; rejects with this request's own error only (over quota, no folder).
 */
export function queueInsert(ctx: StoreContext, request: InsertRequest): Promise<InsertOutcome> {
  const entry: Entry = { ...request }
  let batch = open.get(ctx)
  if (!batch) {
    const fresh: Entry[] = []
    batch = fresh
    open.set(ctx, fresh)
    const written = ctx.engine.write(async (tx) => {
      if (open.get(ctx) === fresh) open.delete(ctx)
      await writeBatch(ctx, tx, fresh)
    })
    // Caught once here; each entry's promise below reports it.
    batches.set(fresh, written.then(() => undefined, (error: unknown) => {
      // Refused before it ran (a closed database): the next request starts a new batch.
      if (open.get(ctx) === fresh) open.delete(ctx)
      return error ?? new Error('Write failed')
    }))
  }
  batch.push(entry)
  const done = batches.get(batch)!
  return done.then((failure) => {
    if (failure !== undefined) throw failure
    const outcome = entry.outcome
    if (outcome === undefined) throw new Error('Insert was not written')
    if (outcome instanceof Error) throw outcome
    return outcome
  })
}

/** Savepoints nest inside the engine's own per-job one; names may repeat (a stack). */
async function savepoint<T>(tx: Tx, name: 'chunk' | 'one', work: () => Promise<T>): Promise<T> {
  await tx.run(sql`SAVEPOINT ${sql.raw(name)}`)
  try {
    const value = await work()
    await tx.run(sql`RELEASE ${sql.raw(name)}`)
    return value
  } catch (error) {
    await tx.run(sql`ROLLBACK TO ${sql.raw(name)}`)
    await tx.run(sql`RELEASE ${sql.raw(name)}`)
    throw error
  }
}

async function writeBatch(ctx: StoreContext, tx: Tx, batch: readonly Entry[]): Promise<void> {
  // Idempotency: deliveries already done (here, or earlier in this batch) keep their first result.
  const done = new Map<string, AppendResult>()
  const deliveryIds = [...new Set(batch.flatMap((e) => (e.deliveryId === undefined ? [] : [e.deliveryId])))]
  if (deliveryIds.length > 0) {
    const rows = await tx.all<{ delivery_id: string; account_id: number; result: string }>(sql`SELECT delivery_id, account_id, result
      FROM deliveries WHERE delivery_id IN (${sql.list(deliveryIds)})`)
    for (const row of rows) done.set(`${row.account_id} ${row.delivery_id}`, JSON.parse(row.result) as AppendResult)
  }
  const keyOf = (e: Entry) => (e.deliveryId === undefined ? null : `${e.account} ${e.deliveryId}`)
  const replayed = (e: Entry): boolean => {
    const key = keyOf(e)
    const result = key === null ? undefined : done.get(key)
    if (result) e.outcome = { result, fresh: false }
    return result !== undefined
  }
  const groups = new Map<string, Entry[]>()
  for (const entry of batch) {
    const key = `${entry.account} ${entry.folder}`
    const group = groups.get(key)
    if (group) group.push(entry)
    else groups.set(key, [entry])
  }
  for (const group of groups.values()) {
    for (let start = 0; start < group.length; start += INSERT_CHUNK) {
      const chunk = group.slice(start, start + INSERT_CHUNK).filter((e) => !replayed(e))
      if (chunk.length === 0) continue
      const keys = chunk.map(keyOf).filter((k) => k !== null)
      // The same delivery twice in one chunk: the one-by-one path below tells them apart.
      const together = chunk.length > 1 && new Set(keys).size === keys.length
      const ok = together && await savepoint(tx, 'chunk', async () => {
        const results = await insertEmails(ctx, tx, chunk[0].account, chunk[0].folder, chunk.map((e) => e.email))
        await recordDeliveries(tx, chunk, results)
        return results
      }).then((results) => {
        chunk.forEach((e, i) => {
          e.outcome = { result: results[i], fresh: true }
          const key = keyOf(e)
          if (key !== null) done.set(key, results[i])
        })
        return true
      }, () => false)
      if (ok) continue
      // One by one, each in its own savepoint, so that one refusal (quota) leaves the others in.
      for (const entry of chunk) {
        if (replayed(entry)) continue
        try {
          const result = await savepoint(tx, 'one', async () => {
            const result = await insertEmail(ctx, tx, entry.account, entry.folder, entry.email)
            await recordDeliveries(tx, [entry], [result])
            return result
          })
          entry.outcome = { result, fresh: true }
          const key = keyOf(entry)
          if (key !== null) done.set(key, result)
        } catch (error) {
          entry.outcome = error as Error
        }
      }
    }
  }
}

/** Remembers deliveries done, so that a replayed queue entry gets the first result, not a second copy. */
async function recordDeliveries(tx: Tx, entries: readonly Entry[], results: readonly AppendResult[]): Promise<void> {
  const rows = entries.flatMap((e, i) => (e.deliveryId === undefined ? [] : [[e.deliveryId, e.account, JSON.stringify(results[i]), Date.now()]]))
  if (rows.length === 0) return
  await tx.run(sql`INSERT INTO deliveries (delivery_id, account_id, result, created_at) VALUES ${sql.rows(rows)}`)
}

import { sql, type Tx } from '../db/engine.ts'
import { deleteInline } from './blobs/tiered.ts'
import { recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { releaseQuota } from './quota.ts'
import { retainEmail, trimToQuota } from './recoverable-retain.ts'
import type { RetentionPolicy } from './retention.ts'
import type { AccountId, FolderId } from './store.ts'
import { uidConditions } from './uid-sets.ts'

export interface Removed {
  uids: number[]
  /** Blobs whose reference count reached zero: their files go once the write has committed. */
  released: string[]
}

/**
 * Takes UIDs out of a folder (EXPUNGE, MOVE's second half, folder deletion). Each removed UID is
 * remembered for QRESYNC VANISHED (RFC 7162 3.2.10) when `vanished`; an email left in no folder is
 * destroyed (tombstone, quota, blob reference), or with a `retain` policy that keeps anything,
 * destroyed for every protocol but kept recoverable (recoverable-retain.ts).
 */
export async function removeMemberships(
  tx: Tx,
  account: AccountId,
  folder: FolderId,
  uids: readonly number[] | 'all',
  options: { modseq: number; vanished: boolean; retain?: RetentionPolicy },
): Promise<Removed> {
  const rows: Array<{ uid: number; email_id: number }> = []
  const conditions = uids === 'all' ? [sql`1 = 1`] : uidConditions('uid', uids)
  for (const condition of conditions) {
    rows.push(...(await tx.all<{ uid: number; email_id: number }>(
      sql`DELETE FROM memberships WHERE folder_id = ${folder} AND ${condition} RETURNING uid, email_id`,
    )))
  }
  rows.sort((a, b) => a.uid - b.uid)
  if (options.vanished) {
    for (const row of rows) {
      await tx.run(sql`INSERT INTO expunged (folder_id, uid, modseq) VALUES (${folder}, ${row.uid}, ${options.modseq})
        ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq`)
    }
  }
  const released: string[] = []
  const retain = options.retain && options.retain.retentionMs > 0 ? options.retain : null
  const deletedAt = Date.now()
  let retained = false
  for (const emailId of new Set(rows.map((r) => r.email_id))) {
    const left = await tx.one<{ n: number }>(sql`SELECT count(*) AS n FROM memberships WHERE email_id = ${emailId}`)
    if (left && left.n > 0) {
      // Still in another folder: its set of folders changed (JMAP mailboxIds).
      await tx.run(sql`UPDATE emails SET modseq = ${options.modseq} WHERE id = ${emailId}`)
      await recordChange(tx, account, { type: 'email', id: emailId, modseq: options.modseq })
      continue
    }
    if (retain && (await retainEmail(tx, account, { id: emailId, folder, modseq: options.modseq, deletedAt }))) {
      retained = true
      continue
    }
    const blob = await destroyEmail(tx, account, emailId, options.modseq)
    if (blob) released.push(blob)
  }
  if (retain && retained) released.push(...(await trimToQuota(tx, account, retain)))
  if (rows.length > 0) {
    await tx.run(sql`UPDATE folders SET modseq = ${options.modseq} WHERE id = ${folder}`)
    await recordChange(tx, account, { type: 'folder', id: folder, modseq: options.modseq })
  }
  return { uids: rows.map((r) => r.uid), released }
}

/** Deletes an email row; returns its blob id when that was the last reference. */
export async function destroyEmail(tx: Tx, account: AccountId, emailId: number, modseq: number): Promise<string | null> {
  const email = await tx.one<{ blob_id: string; size: number }>(sql`DELETE FROM emails WHERE id = ${emailId} RETURNING blob_id, size`)
  if (!email) return null
  // Quota is exact: released in the same transaction that frees the space.
  await releaseQuota(tx, account, email.size, 1)
  await recordChange(tx, account, { type: 'email', id: emailId, modseq, destroyed: true })
  const blob = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - 1 WHERE id = ${email.blob_id} RETURNING refs`)
  return blob && blob.refs <= 0 ? email.blob_id : null
}

/**
 * Deletes blobs nobody references: the row (if any), its full-text document and metadata, and
 * the bytes (inline row, in this same transaction, or file). Also used for a blob whose write failed (over quota), so a refused message leaves no
 * file behind, and for orphan files (a crash between a put and its commit). The file is unlinked
 * inside the write, under the database's write lock, and a writer taking the first reference to
 * a blob checks the file is there under the same lock (emails-write.ts) and puts it again if not:
 * so this is safe against deliveries in flight, in this process or another.
 */
export async function sweepBlobs(ctx: StoreContext, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await ctx.engine.write(async (tx) => {
    for (const id of new Set(ids)) {
      const row = await tx.one<{ refs: number; text_id: number | null }>(sql`SELECT refs, text_id FROM blobs WHERE id = ${id}`)
      if (row && row.refs > 0) continue
      if (row) {
        await tx.run(sql`DELETE FROM blobs WHERE id = ${id}`)
        if (row.text_id !== null) {
          await ctx.engine.text.remove(tx, row.text_id)
          await tx.run(sql`DELETE FROM email_meta WHERE id = ${row.text_id}`)
        }
      }
      if (await ctx.blobs.inlineReady()) await deleteInline(tx, id)
      await ctx.blobs.delete(id)
    }
  })
}

/** Orphans deleted per write: a sweep of a big store does not hold the writer for long. */
const SWEEP_BATCH = 100

/**
 * Deletes every blob nothing references: rows left at zero references (a crash between an
 * expunge and its sweep) and files no row knows (a crash between a put and its commit). Walks
 * every blob file; stops early when `signal` aborts. Returns how many blobs it deleted.
 */
export async function sweepUnreferenced(ctx: StoreContext, signal?: AbortSignal): Promise<number> {
  const rows = await ctx.engine.all<{ id: string }>(sql`SELECT id FROM blobs WHERE refs <= 0`)
  let deleted = rows.length
  await sweepBlobs(ctx, rows.map((r) => r.id))
  let batch: string[] = []
  for await (const id of ctx.blobs.ids()) {
    if (signal?.aborted) return deleted
    if (await ctx.engine.one(sql`SELECT refs FROM blobs WHERE id = ${id}`)) continue
    batch.push(id)
    if (batch.length >= SWEEP_BATCH) {
      await sweepBlobs(ctx, batch)
      deleted += batch.length
      batch = []
    }
  }
  await sweepBlobs(ctx, batch)
  return deleted + batch.length
}

import { sql, type Sql, type Tx } from '../db/engine.ts'
import { recordChange } from './changes.ts'
import { releaseQuota } from './quota.ts'
import type { RetentionPolicy } from './retention.ts'
import type { AccountId, FolderId } from './store.ts'

/** The email columns a retained row keeps, so that a restore rebuilds the same email (a column added to `emails` belongs here too). */
export const RETAINED_COLUMNS = sql.raw(`blob_id, thread_id, text_id, size, received_at, sent_at, flags, keywords, message_id,
  subject, base_subject, from_addr, to_addr, cc_addr, from_text, to_text, cc_text, bcc_text`)

/** Retained rows released per statement by a purge: one purge of a big store does not hold the writer long. */
export const PURGE_BATCH = 500

/**
 * Destroys an email the way protocols see it (gone from every folder, tombstone, quota given
 * back) but keeps it recoverable: its row moves to `recoverable_items` and takes over the email's
 * blob reference, so the bytes and full-text document stay. Returns false when there was no email.
 */
export async function retainEmail(
  tx: Tx,
  account: AccountId,
  email: { id: number; folder: FolderId; modseq: number; deletedAt: number },
): Promise<boolean> {
  const folder = await tx.one<{ path: string }>(sql`SELECT path FROM folders WHERE id = ${email.folder}`)
  const kept = await tx.run(sql`INSERT INTO recoverable_items (account_id, folder_id, folder_path, email_id, deleted_at, ${RETAINED_COLUMNS})
    SELECT account_id, ${email.folder}, ${folder?.path ?? ''}, id, ${email.deletedAt}, ${RETAINED_COLUMNS}
    FROM emails WHERE id = ${email.id}`)
  if (kept.changes === 0) return false
  const row = await tx.one<{ size: number }>(sql`DELETE FROM emails WHERE id = ${email.id} RETURNING size`)
  // Exchange keeps Recoverable Items out of the mailbox quota; our quota stays exact.
  await releaseQuota(tx, account, row!.size, 1)
  await recordChange(tx, account, { type: 'email', id: email.id, modseq: email.modseq, destroyed: true })
  return true
}

/** Deletes retained rows and gives back their blob references; returns blobs left at zero references. */
export async function releaseRetained(tx: Tx, where: Sql): Promise<{ count: number; released: string[] }> {
  const rows = await tx.all<{ blob_id: string }>(sql`DELETE FROM recoverable_items WHERE ${where} RETURNING blob_id`)
  const released: string[] = []
  const counts = new Map<string, number>()
  for (const row of rows) counts.set(row.blob_id, (counts.get(row.blob_id) ?? 0) + 1)
  for (const [blob, n] of counts) {
    const left = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - ${n} WHERE id = ${blob} RETURNING refs`)
    if (left && left.refs <= 0) released.push(blob)
  }
  return { count: rows.length, released }
}

/**
 * Keeps an account's retained mail within its Recoverable Items quota: the oldest deletions go
 * first (Exchange's managed folder assistant does the same once the quota is reached).
 */
export async function trimToQuota(tx: Tx, account: AccountId, policy: RetentionPolicy): Promise<string[]> {
  if (policy.quotaBytes <= 0) return []
  const total = await tx.one<{ bytes: number | null }>(sql`SELECT bytes FROM recoverable_usage WHERE account_id = ${account}`)
  let excess = (total?.bytes ?? 0) - policy.quotaBytes
  if (excess <= 0) return []
  const victims: number[] = []
  for (const row of await tx.all<{ id: number; size: number }>(sql`SELECT id, size FROM recoverable_items
      WHERE account_id = ${account} ORDER BY deleted_at, id`)) {
    if (excess <= 0) break
    victims.push(row.id)
    excess -= row.size
  }
  const released: string[] = []
  for (let i = 0; i < victims.length; i += PURGE_BATCH) {
    const batch = victims.slice(i, i + PURGE_BATCH)
    released.push(...(await releaseRetained(tx, sql`id IN (${sql.list(batch)})`)).released)
  }
  return released
}

/** Everything an account retains, released (the account is being removed). */
export async function releaseAccountRetained(tx: Tx, account: AccountId): Promise<string[]> {
  return (await releaseRetained(tx, sql`account_id = ${account}`)).released
}

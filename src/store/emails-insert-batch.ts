import { sql, type SqlValue, type Tx } from '../db/engine.ts'
import { placeBlob } from './blob-stage.ts'
import { putInline } from './blobs/tiered.ts'
import type { StoreContext } from './context.ts'
import type { PreparedEmail } from './emails-write.ts'
import { StoreError } from './errors.ts'
import { toColumns } from './keywords.ts'
import { queueTexts, textDocument } from './search-indexer.ts'
import type { AccountId, AppendResult, FolderId } from './store.ts'
import { threadIds } from './threads.ts'

/**
 * Emails per multi-row statement: bounds the bound parameters of one statement (~20 per email
 * row, up to 51 message ids per message for threads), far below SQLite's 32,766.
 */
export const INSERT_CHUNK = 64
/** Message ids looked up per thread query (each a bound parameter). */
const THREAD_LOOKUP_CHUNK = 500

/**
 * Inserts up to INSERT_CHUNK emails into one folder of one account with a fixed number of
 * multi-row statements, where `insertEmail` spends about fifteen per email: the same rows, in
 * the same order, as calling it for each in turn (each its own MODSEQ and UID, ascending).
 * All or nothing: if any would be refused (over quota, no such folder) it throws, and the caller
 * rolls back to its savepoint and writes them one by one to find out which.
 */
export async function insertEmails(
  ctx: StoreContext,
  tx: Tx,
  account: AccountId,
  folder: FolderId | 'inbox',
  emails: readonly PreparedEmail[],
): Promise<AppendResult[]> {
  const n = emails.length
  if (n === 0) return []
  if (n > INSERT_CHUNK) throw new StoreError('limit', `More than ${INSERT_CHUNK} emails in one batch insert`)
  let bytes = 0
  for (const email of emails) bytes += email.raw.byteLength
  // Quota for all of them at once, and one MODSEQ each (RFC 7162 3.1: every change its own).
  const charged = await tx.one<{ modseq: number }>(sql`UPDATE accounts
    SET modseq = modseq + ${n}, used_bytes = used_bytes + ${bytes}, used_messages = used_messages + ${n}
    WHERE id = ${account}
      AND (quota_bytes IS NULL OR used_bytes + ${bytes} <= quota_bytes)
      AND (quota_messages IS NULL OR used_messages + ${n} <= quota_messages)
    RETURNING modseq`)
  if (!charged) throw new StoreError('overQuota', `Account ${account} is missing or over quota`)
  const lastModseq = charged.modseq
  const modseqOf = (i: number) => lastModseq - n + 1 + i
  const target = folder === 'inbox' ? sql`account_id = ${account} AND role = 'inbox'` : sql`id = ${folder} AND account_id = ${account}`
  const box = await tx.one<{ id: number; uid: number; uid_validity: number; type: string }>(sql`UPDATE folders
    SET uid_next = uid_next + ${n}, modseq = ${lastModseq} WHERE ${target}
    RETURNING id, uid_next - ${n} AS uid, uid_validity, type`)
  if (!box) throw new StoreError('notFound', folder === 'inbox' ? `Account ${account} has no inbox` : `Folder ${folder} does not exist`)
  if (box.type !== 'mail') throw new StoreError('invalid', `Folder ${box.id} does not hold email`)

  const blobs = await referenceBlobs(ctx, tx, emails)
  const threads = await resolveThreads(tx, account, emails, modseqOf)

  // Text documents: one per blob. Bytes already indexed (text_id) are pointed at; the first email
  // of new bytes owns their document (text_id NULL); a later one in this same batch points at it.
  const textIds: Array<number | null> = []
  const owners: number[] = []
  const ownerOf = new Map<string, number>()
  emails.forEach((email, i) => {
    const blob = blobs.get(email.blobId)!
    if (blob.textId !== null) textIds.push(blob.textId)
    else if (ownerOf.has(email.blobId)) textIds.push(null)
    else {
      ownerOf.set(email.blobId, i)
      owners.push(i)
      textIds.push(null)
    }
  })

  const rows: SqlValue[][] = emails.map((email, i) => {
    const p = email.parsed
    const columns = toColumns(email.keywords)
    return [account, email.blobId, threads[i], textIds[i], email.raw.byteLength, email.receivedAt, p.sentAt, columns.flags,
      columns.keywords, p.messageId, p.subject, p.baseSubject, p.sortFrom, p.sortTo, p.sortCc, p.from, p.to, p.cc, p.bcc, modseqOf(i)]
  })
  const inserted = await tx.all<{ id: number }>(sql`INSERT INTO emails (account_id, blob_id, thread_id, text_id, size, received_at,
      sent_at, flags, keywords, message_id, subject, base_subject, from_addr, to_addr, cc_addr,
      from_text, to_text, cc_text, bcc_text, modseq)
    VALUES ${sql.rows(rows)} RETURNING id`)
  if (inserted.length !== n) throw new StoreError('unavailable', 'Batch insert returned the wrong number of rows')
  // One statement's rowids ascend in the order of its VALUES (the RETURNING order is not promised).
  const ids = inserted.map((r) => r.id).sort((a, b) => a - b)

  const repoint = emails.map((email, i) => (textIds[i] === null && ownerOf.get(email.blobId) !== i ? i : -1)).filter((i) => i >= 0)
  for (const i of repoint) {
    textIds[i] = ids[ownerOf.get(emails[i].blobId)!]
    await tx.run(sql`UPDATE emails SET text_id = ${textIds[i]} WHERE id = ${ids[i]}`)
  }
  if (owners.length > 0) {
    await tx.run(sql`INSERT OR REPLACE INTO email_meta (id, meta, header, preview) VALUES ${sql.rows(owners.map((i) => {
      const p = emails[i].parsed
      return [ids[i], JSON.stringify({ envelope: p.envelope, mime: p.mime, references: p.references }), p.header, p.preview]
    }))}`)
    await queueTexts(ctx, tx, owners.map((i) => ({ id: ids[i], blobId: emails[i].blobId, doc: textDocument(emails[i].parsed) })))
    const whens = sql.join(owners.map((i) => sql`WHEN ${emails[i].blobId} THEN ${ids[i]}`), ' ')
    await tx.run(sql`UPDATE blobs SET text_id = CASE id ${whens} END WHERE id IN (${sql.list(owners.map((i) => emails[i].blobId))})`)
  }
  await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size) VALUES ${sql.rows(emails.map((email, i) =>
    [box.id, box.uid + i, ids[i], modseqOf(i), textIds[i] ?? ids[i], rows[i][7], email.raw.byteLength]))}`)
  await tx.run(sql`INSERT INTO changes (account_id, type, object_id, created_modseq, modseq, destroyed)
    VALUES ${sql.rows(ids.map((id, i) => [account, 'email', id, modseqOf(i), modseqOf(i), 0]))}`)
  await tx.run(sql`INSERT INTO changes (account_id, type, object_id, created_modseq, modseq, destroyed)
    VALUES (${account}, 'folder', ${box.id}, 0, ${lastModseq}, 0)
    ON CONFLICT (account_id, type, object_id) DO UPDATE SET modseq = excluded.modseq, destroyed = excluded.destroyed`)
  return emails.map((email, i) => ({
    emailId: ids[i], folderId: box.id, uid: box.uid + i, uidValidity: box.uid_validity, modseq: modseqOf(i),
    size: email.raw.byteLength, blobId: email.blobId,
  }))
}

/**
 * One reference per email on its blob, in one upsert (counts summed per distinct blob, so the
 * statement never touches a row twice); bytes put where this batch took the first references.
 */
async function referenceBlobs(
  ctx: StoreContext,
  tx: Tx,
  emails: readonly PreparedEmail[],
): Promise<Map<string, { textId: number | null }>> {
  const distinct = new Map<string, { email: PreparedEmail; count: number }>()
  for (const email of emails) {
    const seen = distinct.get(email.blobId)
    if (seen) seen.count++
    else distinct.set(email.blobId, { email, count: 1 })
  }
  const now = Date.now()
  const rows = await tx.all<{ id: string; refs: number; text_id: number | null }>(sql`INSERT INTO blobs (id, size, refs, created_at)
    VALUES ${sql.rows([...distinct].map(([id, { email, count }]) => [id, email.raw.byteLength, count, now]))}
    ON CONFLICT (id) DO UPDATE SET refs = blobs.refs + excluded.refs RETURNING id, refs, text_id`)
  const out = new Map<string, { textId: number | null }>()
  const inline: SqlValue[][] = []
  for (const row of rows) {
    const { email, count } = distinct.get(row.id)!
    out.set(row.id, { textId: row.text_id })
    // These references are the first: the bytes must be there (see placeBlob).
    if (row.refs !== count) continue
    if (email.inline) inline.push([row.id, email.inline])
    else await placeBlob(ctx, tx, { id: row.id, size: email.raw.byteLength, inline: null }, email.raw, 1)
  }
  if (inline.length === 1) await putInline(tx, String(inline[0][0]), inline[0][1] as Uint8Array)
  else if (inline.length > 1) await tx.run(sql`INSERT INTO blob_data (id, data) VALUES ${sql.rows(inline)} ON CONFLICT (id) DO NOTHING`)
  if (out.size !== distinct.size) throw new StoreError('unavailable', 'Blob upsert returned the wrong number of rows')
  return out
}

/**
 * The thread of each email, as `findThread` + `linkThread` one after the other would give it: a
 * message joins the thread of any id it names that is known (in the account, or earlier in this
 * batch), else starts one named by its MODSEQ; its ids not yet known then point at its thread.
 */
async function resolveThreads(
  tx: Tx,
  account: AccountId,
  emails: readonly PreparedEmail[],
  modseqOf: (i: number) => number,
): Promise<number[]> {
  const idsOf = emails.map((email) => threadIds(email.parsed.messageId, email.parsed.references))
  const all = [...new Set(idsOf.flat())]
  const known = new Map<string, number>()
  for (let start = 0; start < all.length; start += THREAD_LOOKUP_CHUNK) {
    const rows = await tx.all<{ message_id: string; thread_id: number }>(sql`SELECT message_id, thread_id FROM thread_refs
      WHERE account_id = ${account} AND message_id IN (${sql.list(all.slice(start, start + THREAD_LOOKUP_CHUNK))})`)
    for (const row of rows) known.set(row.message_id, row.thread_id)
  }
  const links: SqlValue[][] = []
  const threads = idsOf.map((ids, i) => {
    const found = ids.find((id) => known.has(id))
    const thread = found === undefined ? modseqOf(i) : known.get(found)!
    for (const id of ids) {
      if (known.has(id)) continue
      known.set(id, thread)
      links.push([account, id, thread])
    }
    return thread
  })
  for (let start = 0; start < links.length; start += THREAD_LOOKUP_CHUNK) {
    await tx.run(sql`INSERT INTO thread_refs (account_id, message_id, thread_id) VALUES ${sql.rows(links.slice(start, start + THREAD_LOOKUP_CHUNK))}
      ON CONFLICT (account_id, message_id) DO NOTHING`)
  }
  return threads
}

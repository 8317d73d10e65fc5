import { sql, type Tx } from '../db/engine.ts'
import { placeBlob } from './blob-stage.ts'
import { recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { StoreError } from './errors.ts'
import { toColumns } from './keywords.ts'
import { chargeQuota } from './quota.ts'
import { queueTexts, textDocument } from './search-indexer.ts'
import type { ParsedMessage } from './mime.ts'
import type { AccountId, AppendResult, FolderId } from './store.ts'
import { findThread, linkThread, threadIds } from './threads.ts'

/** A message ready to be written: parsed, its blob stored and fsynced or (small) to be inserted inline. */
export interface PreparedEmail {
  raw: Uint8Array
  parsed: ParsedMessage
  blobId: string
  /** The blob's stored form when it lives in the database (blob-stage.ts); null for a file. */
  inline: Uint8Array | null
  keywords: string[]
  receivedAt: number
}

/**
 * Inserts one email into one folder of one account, inside the caller's write: quota and
 * MODSEQ, blob reference, email row, UID, full-text document, thread, change log.
 * `folder` 'inbox' means the account's inbox (local delivery).
 */
export async function insertEmail(
  ctx: StoreContext,
  tx: Tx,
  account: AccountId,
  folder: FolderId | 'inbox',
  email: PreparedEmail,
): Promise<AppendResult> {
  const size = email.raw.byteLength
  // First: nothing else is written when the account is over quota.
  const modseq = await chargeQuota(tx, account, size, 1)
  const target = folder === 'inbox' ? sql`account_id = ${account} AND role = 'inbox'` : sql`id = ${folder} AND account_id = ${account}`
  const box = await tx.one<{ id: number; uid: number; uid_validity: number; type: string }>(sql`UPDATE folders
    SET uid_next = uid_next + 1, modseq = ${modseq} WHERE ${target}
    RETURNING id, uid_next - 1 AS uid, uid_validity, type`)
  if (!box) throw new StoreError('notFound', folder === 'inbox' ? `Account ${account} has no inbox` : `Folder ${folder} does not exist`)
  if (box.type !== 'mail') throw new StoreError('invalid', `Folder ${box.id} does not hold email`)

  const blob = await tx.one<{ refs: number; text_id: number | null }>(sql`INSERT INTO blobs (id, size, refs, created_at)
    VALUES (${email.blobId}, ${size}, 1, ${Date.now()})
    ON CONFLICT (id) DO UPDATE SET refs = blobs.refs + 1 RETURNING refs, text_id`)
  // The first reference stores inline bytes, or re-puts a file a sweep took meanwhile.
  await placeBlob(ctx, tx, { id: email.blobId, size, inline: email.inline }, email.raw, blob!.refs)

  const p = email.parsed
  // A new thread is named by the MODSEQ of its first message: unique in the account, known now.
  const ids = threadIds(p.messageId, p.references)
  const thread = await findThread(tx, account, ids)
  const columns = toColumns(email.keywords)
  const row = await tx.one<{ id: number }>(sql`INSERT INTO emails (account_id, blob_id, thread_id, text_id, size, received_at,
      sent_at, flags, keywords, message_id, subject, base_subject, from_addr, to_addr, cc_addr,
      from_text, to_text, cc_text, bcc_text, modseq)
    VALUES (${account}, ${email.blobId}, ${thread ?? modseq}, ${blob!.text_id}, ${size}, ${email.receivedAt},
      ${p.sentAt}, ${columns.flags}, ${columns.keywords}, ${p.messageId}, ${p.subject}, ${p.baseSubject},
      ${p.sortFrom}, ${p.sortTo}, ${p.sortCc}, ${p.from}, ${p.to}, ${p.cc}, ${p.bcc}, ${modseq})
    RETURNING id`)
  const id = row!.id

  await linkThread(tx, account, thread ?? modseq, ids)
  if (blob!.text_id === null) {
    // The first copy of these bytes anywhere: index them once under this email's id (its text_id
    // stays NULL, "my own"); every later copy of the bytes points at this document.
    // Queued, not indexed here: FTS5 work in the delivery's write cost more than the rest of it
    // together (migration 4). The indexer takes the document from memory, not from the bytes.
    await queueTexts(ctx, tx, [{ id, blobId: email.blobId, doc: textDocument(p) }])
    const meta = JSON.stringify({ envelope: p.envelope, mime: p.mime, references: p.references })
    await tx.run(sql`INSERT OR REPLACE INTO email_meta (id, meta, header, preview) VALUES (${id}, ${meta}, ${p.header}, ${p.preview})`)
    await tx.run(sql`UPDATE blobs SET text_id = ${id} WHERE id = ${email.blobId}`)
  }
  await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size)
    VALUES (${box.id}, ${box.uid}, ${id}, ${modseq}, ${blob!.text_id ?? id}, ${columns.flags}, ${size})`)
  await recordChange(tx, account, { type: 'email', id, modseq, created: true })
  await recordChange(tx, account, { type: 'folder', id: box.id, modseq })
  return { emailId: id, folderId: box.id, uid: box.uid, uidValidity: box.uid_validity, modseq, size, blobId: email.blobId }
}

import type { Readable } from 'node:stream'
import { sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { StoreError } from './errors.ts'
import { fromColumns } from './keywords.ts'
import type { Envelope, MimePart } from './mime.ts'
import type { AccountId, FolderId, MessageInfo, MessageRef } from './store.ts'
import { uidConditions } from './uid-sets.ts'

/** Checks that the folder exists and belongs to the account (user A never reads B's folders). */
export async function requireFolder(ctx: StoreContext, account: AccountId, folder: FolderId): Promise<void> {
  const row = await ctx.engine.one(sql`SELECT id FROM folders WHERE id = ${folder} AND account_id = ${account}`)
  if (!row) throw new StoreError('notFound', `Folder ${folder} does not exist`)
}

/** The MSN table: every message of the folder in UID order. */
export async function listMessages(ctx: StoreContext, account: AccountId, folder: FolderId): Promise<MessageRef[]> {
  await requireFolder(ctx, account, folder)
  const rows = await ctx.engine.all<{ uid: number; email_id: number; modseq: number }>(
    sql`SELECT uid, email_id, modseq FROM memberships WHERE folder_id = ${folder} ORDER BY uid`,
  )
  return rows.map((r) => ({ uid: r.uid, emailId: r.email_id, modseq: r.modseq }))
}

interface InfoRow {
  uid: number
  email_id: number
  modseq: number
  thread_id: number
  blob_id: string
  size: number
  received_at: number
  sent_at: number | null
  flags: number
  keywords: string | null
  message_id: string | null
  subject: string
  base_subject: string
  meta: string
  header: Uint8Array
  preview: string
}

/** FETCH metadata for these UIDs, in UID order; UIDs not in the folder are skipped. */
export async function messageInfo(ctx: StoreContext, account: AccountId, folder: FolderId, uids: readonly number[]): Promise<MessageInfo[]> {
  await requireFolder(ctx, account, folder)
  const out: MessageInfo[] = []
  for (const condition of uidConditions('m.uid', uids)) {
    const rows = await ctx.engine.all<InfoRow>(sql`SELECT m.uid, m.email_id, m.modseq, e.thread_id, e.blob_id, e.size,
        e.received_at, e.sent_at, e.flags, e.keywords, e.message_id, e.subject, e.base_subject, x.meta, x.header, x.preview
      FROM memberships m JOIN emails e ON e.id = m.email_id JOIN email_meta x ON x.id = coalesce(e.text_id, e.id)
      WHERE m.folder_id = ${folder} AND ${condition} ORDER BY m.uid`)
    for (const row of rows) out.push(toInfo(folder, row))
  }
  return out
}

function toInfo(folder: FolderId, row: InfoRow): MessageInfo {
  const meta = JSON.parse(row.meta) as { envelope: Envelope; mime: MimePart; references?: string[] }
  return {
    uid: row.uid,
    emailId: row.email_id,
    modseq: row.modseq,
    folderId: folder,
    threadId: row.thread_id,
    blobId: row.blob_id,
    size: row.size,
    receivedAt: row.received_at,
    keywords: fromColumns(row.flags, row.keywords),
    envelope: meta.envelope,
    mime: meta.mime,
    header: row.header,
    preview: row.preview,
    messageId: row.message_id,
    references: meta.references ?? [],
    subject: row.subject,
    baseSubject: row.base_subject,
    sentAt: row.sent_at,
  }
}

/** A blob is readable by an account only if one of its emails holds it. */
async function requireBlob(ctx: StoreContext, account: AccountId, blobId: string): Promise<void> {
  const row = await ctx.engine.one(sql`SELECT id FROM emails WHERE blob_id = ${blobId} AND account_id = ${account} LIMIT 1`)
  if (!row) throw new StoreError('notFound', `Blob ${blobId} does not exist`)
}

export async function messageBody(
  ctx: StoreContext,
  account: AccountId,
  blobId: string,
  range?: { start: number; end: number },
): Promise<Uint8Array> {
  if (range && !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0)) {
    throw new StoreError('invalid', 'Invalid byte range')
  }
  await requireBlob(ctx, account, blobId)
  if (range && range.end <= range.start) return new Uint8Array(0)
  return ctx.blobs.get(blobId, range)
}

export async function messageStream(ctx: StoreContext, account: AccountId, blobId: string): Promise<Readable> {
  await requireBlob(ctx, account, blobId)
  return ctx.blobs.stream(blobId)
}

/** QRESYNC VANISHED (RFC 7162 3.2.10): UIDs expunged after `modseq`. */
export async function expungedSince(ctx: StoreContext, account: AccountId, folder: FolderId, modseq: number): Promise<number[]> {
  await requireFolder(ctx, account, folder)
  const rows = await ctx.engine.all<{ uid: number }>(sql`SELECT uid FROM expunged WHERE folder_id = ${folder} AND modseq > ${modseq} ORDER BY uid`)
  return rows.map((r) => r.uid)
}

/** CONDSTORE CHANGEDSINCE (RFC 7162 3.1.4): messages whose modseq is above `modseq`. */
export async function changedSince(ctx: StoreContext, account: AccountId, folder: FolderId, modseq: number): Promise<MessageRef[]> {
  await requireFolder(ctx, account, folder)
  const rows = await ctx.engine.all<{ uid: number; email_id: number; modseq: number }>(
    sql`SELECT uid, email_id, modseq FROM memberships WHERE folder_id = ${folder} AND modseq > ${modseq} ORDER BY uid`,
  )
  return rows.map((r) => ({ uid: r.uid, emailId: r.email_id, modseq: r.modseq }))
}

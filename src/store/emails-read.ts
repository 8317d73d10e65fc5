import type { Readable } from 'node:stream'
import { sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { StoreError } from './errors.ts'
import { fromColumns } from './keywords.ts'
import type { Envelope, MimePart } from './mime.ts'
import { INFO_PARTS, type AccountId, type FolderId, type InfoOptions, type InfoPart, type MessageInfo, type MessageRef } from './store.ts'
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
  /** The optional parts: absent from the row when not asked for. */
  envelope?: string
  meta?: string
  header?: Uint8Array
  preview?: string
}

interface Meta {
  mime: MimePart
  references?: string[]
}

/** Whether `email_meta.envelope` exists (migration 5): tools and tests may open an older schema. */
const envelopeReady = new WeakMap<object, Promise<boolean>>()

function hasEnvelopeColumn(ctx: StoreContext): Promise<boolean> {
  let ready = envelopeReady.get(ctx.engine)
  if (!ready) {
    ready = ctx.engine.all<{ name: string }>(sql`SELECT name FROM pragma_table_info('email_meta')`)
      .then((rows) => rows.some((r) => r.name === 'envelope'))
    envelopeReady.set(ctx.engine, ready)
  }
  return ready
}

/** The select list of the optional parts: each is a column of `email_meta x`. */
async function partColumns(ctx: StoreContext, parts: readonly InfoPart[]): Promise<string> {
  let out = ''
  for (const part of parts) {
    if (part === 'envelope') {
      // The small column when there is one (migration 5); else cut from meta by SQLite, which
      // is still cheaper than handing the whole meta to JSON.parse.
      out += await hasEnvelopeColumn(ctx)
        ? ", coalesce(x.envelope, json_extract(x.meta, '$.envelope')) AS envelope"
        : ", json_extract(x.meta, '$.envelope') AS envelope"
    } else if (part === 'mime') out += ', x.meta'
    else if (part === 'header') out += ', x.header'
    else if (part === 'preview') out += ', x.preview'
  }
  return out
}

/**
 * FETCH metadata for these UIDs, in UID order; UIDs not in the folder are skipped. Only the
 * `parts` asked for are read: on a folder of 100,000 messages FETCH ENVELOPE costs the envelope
 * column, a header fetch the header bytes, and neither the MIME tree JSON.
 */
export async function messageInfo(
  ctx: StoreContext,
  account: AccountId,
  folder: FolderId,
  uids: readonly number[],
  options: InfoOptions = {},
): Promise<MessageInfo[]> {
  await requireFolder(ctx, account, folder)
  const parts = options.parts ? [...new Set(options.parts)].sort() : INFO_PARTS
  const columns = sql.raw(await partColumns(ctx, parts))
  const meta = sql.raw(parts.length ? 'JOIN email_meta x ON x.id = coalesce(e.text_id, e.id)' : '')
  const out: MessageInfo[] = []
  for (const condition of uidConditions('m.uid', uids)) {
    const rows = await ctx.engine.all<InfoRow>(sql`SELECT m.uid, m.email_id, m.modseq, e.thread_id, e.blob_id, e.size,
        e.received_at, e.sent_at, e.flags, e.keywords, e.message_id, e.subject, e.base_subject${columns}
      FROM memberships m JOIN emails e ON e.id = m.email_id ${meta}
      WHERE m.folder_id = ${folder} AND ${condition} ORDER BY m.uid`)
    for (const row of rows) out.push(toInfo(folder, row))
  }
  return out
}

/**
 * A plain object (spread and structured-clone safe). The parts that were read are parsed here;
 * the others are placeholders that throw when used, so a caller that forgot to ask for a part
 * fails loudly instead of answering with empty data (`preview` alone, a string, is '').
 */
function toInfo(folder: FolderId, row: InfoRow): MessageInfo {
  const meta = row.meta === undefined ? null : JSON.parse(row.meta) as Meta
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
    envelope: row.envelope === undefined ? NOT_READ.envelope : parseEnvelope(row.envelope),
    mime: meta ? meta.mime : NOT_READ.mime,
    references: meta ? meta.references ?? [] : NOT_READ.references,
    header: row.header ?? NOT_READ.header,
    preview: row.preview ?? '',
    messageId: row.message_id,
    subject: row.subject,
    baseSubject: row.base_subject,
    sentAt: row.sent_at,
  }
}

/** The envelope column leaves out `sender` and `replyTo` when they are `from` (migration 5). */
function parseEnvelope(json: string): Envelope {
  const envelope = JSON.parse(json) as Envelope
  envelope.sender ??= envelope.from
  envelope.replyTo ??= envelope.from
  return envelope
}

/** Placeholders for parts not read: any use throws, naming the part. Shared, so they cost nothing per message. */
const NOT_READ = {
  envelope: notRead<Envelope>('envelope', {}),
  mime: notRead<MimePart>('mime', {}),
  references: notRead<string[]>('mime', []),
  header: notRead<Uint8Array>('header', new Uint8Array(0)),
}

function notRead<T extends object>(part: InfoPart, target: object): T {
  const fail = (): never => {
    throw new StoreError('invalid', `MessageInfo.${part} was not read (ask for it in info's parts)`)
  }
  return new Proxy(target, { get: fail, has: fail, ownKeys: fail }) as T
}

/**
 * A blob is readable by an account only if one of its emails holds it. `+account_id` keeps the
 * planner on the blob index: left to choose, SQLite walked emails_account, every email of the
 * account per call (62 µs per body read on a 1,000-message mailbox, milliseconds on 100,000).
 */
async function requireBlob(ctx: StoreContext, account: AccountId, blobId: string): Promise<void> {
  const row = await ctx.engine.one(sql`SELECT id FROM emails WHERE blob_id = ${blobId} AND +account_id = ${account} LIMIT 1`)
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

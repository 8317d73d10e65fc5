import { sql, type Tx } from '../db/engine.ts'
import { bumpModseq, recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { removeMemberships, sweepBlobs } from './emails-remove.ts'
import { StoreError } from './errors.ts'
import { folderInTx, type FolderRow } from './folder-rows.ts'
import type { AccountId, CopyResult, FolderId } from './store.ts'
import { chargeQuota } from './quota.ts'
import { uidConditions } from './uid-sets.ts'

/** Messages one COPY/MOVE may touch: bounds the work (and the undo log) of one transaction. */
export const MAX_COPY_MESSAGES = 100_000

interface SourceRow {
  uid: number
  email_id: number
  text_id: number
  flags: number
  size: number
}

async function sources(tx: Tx, folder: FolderId, uids: readonly number[]): Promise<SourceRow[]> {
  const rows: SourceRow[] = []
  for (const condition of uidConditions('m.uid', uids)) {
    rows.push(...(await tx.all<SourceRow>(sql`SELECT m.uid, m.email_id, m.text_id, m.flags, m.size FROM memberships m
      WHERE m.folder_id = ${folder} AND ${condition} ORDER BY m.uid`)))
  }
  if (rows.length > MAX_COPY_MESSAGES) throw new StoreError('limit', `More than ${MAX_COPY_MESSAGES} messages in one copy`)
  return rows.sort((a, b) => a.uid - b.uid)
}

async function mailFolders(tx: Tx, account: AccountId, from: FolderId, to: FolderId): Promise<FolderRow> {
  await folderInTx(tx, account, from)
  const target = await folderInTx(tx, account, to)
  if (target.type !== 'mail') throw new StoreError('invalid', `Folder ${target.path} does not hold email`)
  return target
}

/** Reserves `count` UIDs in the target; returns the first. */
async function reserveUids(tx: Tx, folder: FolderId, count: number, modseq: number): Promise<number> {
  const row = await tx.one<{ first: number }>(sql`UPDATE folders SET uid_next = uid_next + ${count}, modseq = ${modseq}
    WHERE id = ${folder} RETURNING uid_next - ${count} AS first`)
  return row!.first
}

/**
 * IMAP COPY (RFC 4315 COPYUID): new emails sharing the blob and its full-text document, with
 * keywords and internal date kept and new UIDs in the target. Quota counts each copy.
 */
export async function copyEmails(ctx: StoreContext, account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult> {
  const result = await ctx.engine.write(async (tx) => {
    const target = await mailFolders(tx, account, from, to)
    const rows = await sources(tx, from, uids)
    if (rows.length === 0) return { mapping: [], uidValidity: target.uid_validity, modseq: 0 }
    const bytes = rows.reduce((sum, r) => sum + r.size, 0)
    const modseq = await chargeQuota(tx, account, bytes, rows.length)
    let uid = await reserveUids(tx, to, rows.length, modseq)
    const mapping: CopyResult['mapping'] = []
    for (const row of rows) {
      const copy = await tx.one<{ id: number; blob_id: string }>(sql`INSERT INTO emails (account_id, blob_id, thread_id, text_id, size,
          received_at, sent_at, flags, keywords, message_id, subject, base_subject, from_addr, to_addr, cc_addr,
          from_text, to_text, cc_text, bcc_text, modseq)
        SELECT account_id, blob_id, thread_id, coalesce(text_id, id), size, received_at, sent_at, flags, keywords, message_id, subject,
          base_subject, from_addr, to_addr, cc_addr, from_text, to_text, cc_text, bcc_text, ${modseq}
        FROM emails WHERE id = ${row.email_id} RETURNING id, blob_id`)
      await tx.run(sql`UPDATE blobs SET refs = refs + 1 WHERE id = ${copy!.blob_id}`)
      await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size)
        VALUES (${to}, ${uid}, ${copy!.id}, ${modseq}, ${row.text_id}, ${row.flags}, ${row.size})`)
      await recordChange(tx, account, { type: 'email', id: copy!.id, modseq, created: true })
      mapping.push({ from: row.uid, to: uid })
      uid++
    }
    await recordChange(tx, account, { type: 'folder', id: to, modseq })
    return { mapping, uidValidity: target.uid_validity, modseq }
  })
  if (result.modseq) ctx.bus.publish({ account, modseq: result.modseq, folders: [to], kind: 'append' })
  return { mapping: result.mapping, uidValidity: result.uidValidity }
}

/**
 * IMAP MOVE (RFC 6851): atomically, the same emails leave the source (their UIDs are expunged
 * there) and get new UIDs in the target. The email keeps its id (JMAP sees mailboxIds change).
 */
export async function moveEmails(ctx: StoreContext, account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult> {
  const result = await ctx.engine.write(async (tx) => {
    const target = await mailFolders(tx, account, from, to)
    const rows = await sources(tx, from, uids)
    if (rows.length === 0) return { mapping: [], uidValidity: target.uid_validity, modseq: 0 }
    const modseq = await bumpModseq(tx, account)
    let uid = await reserveUids(tx, to, rows.length, modseq)
    const mapping: CopyResult['mapping'] = []
    for (const row of rows) {
      await tx.run(sql`DELETE FROM memberships WHERE folder_id = ${from} AND uid = ${row.uid}`)
      await tx.run(sql`INSERT INTO expunged (folder_id, uid, modseq) VALUES (${from}, ${row.uid}, ${modseq})
        ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq`)
      await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size)
        VALUES (${to}, ${uid}, ${row.email_id}, ${modseq}, ${row.text_id}, ${row.flags}, ${row.size})`)
      await tx.run(sql`UPDATE emails SET modseq = ${modseq} WHERE id = ${row.email_id}`)
      await recordChange(tx, account, { type: 'email', id: row.email_id, modseq })
      mapping.push({ from: row.uid, to: uid })
      uid++
    }
    await tx.run(sql`UPDATE folders SET modseq = ${modseq} WHERE id = ${from}`)
    await recordChange(tx, account, { type: 'folder', id: from, modseq })
    await recordChange(tx, account, { type: 'folder', id: to, modseq })
    return { mapping, uidValidity: target.uid_validity, modseq }
  })
  if (result.modseq) ctx.bus.publish({ account, modseq: result.modseq, folders: [from, to], kind: 'expunge' })
  return { mapping: result.mapping, uidValidity: result.uidValidity }
}

/** IMAP EXPUNGE / UID EXPUNGE, POP3 QUIT: returns the UIDs actually removed. */
export async function expungeEmails(ctx: StoreContext, account: AccountId, folder: FolderId, uids: readonly number[]): Promise<number[]> {
  const result = await ctx.engine.write(async (tx) => {
    await folderInTx(tx, account, folder)
    let present = 0
    for (const condition of uidConditions('uid', uids)) {
      const row = await tx.one<{ n: number }>(sql`SELECT count(*) AS n FROM memberships WHERE folder_id = ${folder} AND ${condition}`)
      present += row?.n ?? 0
    }
    if (present === 0) return { uids: [] as number[], released: [] as string[], modseq: 0 }
    const modseq = await bumpModseq(tx, account)
    const removed = await removeMemberships(tx, account, folder, uids, { modseq, vanished: true, retain: ctx.retention })
    return { ...removed, modseq }
  })
  if (result.modseq) {
    ctx.bus.publish({ account, modseq: result.modseq, folders: [folder], kind: 'expunge' })
    // Best effort: a blob left behind by a failed sweep is found again by sweepUnreferenced.
    await sweepBlobs(ctx, result.released).catch(() => {})
  }
  return result.uids
}

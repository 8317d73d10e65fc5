import { sql, type Tx } from '../db/engine.ts'
import { recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { StoreError } from './errors.ts'
import { createIfMissing } from './folders.ts'
import { normalizePath } from './folder-paths.ts'
import { DELETED_BIT, fromColumns } from './keywords.ts'
import { chargeQuota } from './quota.ts'
import { RETAINED_COLUMNS } from './recoverable-retain.ts'
import { purgeExpired } from './retention-sweep.ts'
import type { AccountId, FolderId, Recoverable, RecoverableId, RecoverableItem, RecoveredItem } from './store.ts'
import { uidConditions } from './uid-sets.ts'

/** Where items whose folder is gone are put back (Outlook's "Recover Deleted Items" does the same). */
export const RECOVERED_FOLDER = 'Recovered Items'
/** Items one list returns by default and at most: a listing of a huge dumpster stays bounded. */
export const MAX_LIST = 10_000
/** Items one restore may put back: bounds one transaction, as MAX_COPY_MESSAGES does for COPY. */
export const MAX_RESTORE = 10_000

interface RetainedRow {
  id: number
  folder_id: number
  folder_path: string
  deleted_at: number
  received_at: number
  size: number
  subject: string
  from_text: string
  message_id: string | null
  flags: number
  keywords: string | null
  blob_id: string
}

function toItem(row: RetainedRow): RecoverableItem {
  return {
    id: row.id,
    folderId: row.folder_id,
    folderPath: row.folder_path,
    deletedAt: row.deleted_at,
    receivedAt: row.received_at,
    size: row.size,
    subject: row.subject,
    from: row.from_text,
    messageId: row.message_id,
    keywords: fromColumns(row.flags, row.keywords),
    blobId: row.blob_id,
  }
}

/** Exchange's Recoverable Items for the store facade: list, restore, purge. */
export class RecoverableImpl implements Recoverable {
  readonly #ctx: StoreContext
  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  async list(account: AccountId, options: { since?: number; folder?: string; limit?: number } = {}): Promise<RecoverableItem[]> {
    const limit = options.limit ?? MAX_LIST
    if (!Number.isSafeInteger(limit) || limit <= 0 || limit > MAX_LIST) throw new StoreError('invalid', `Invalid limit ${limit} (1 to ${MAX_LIST})`)
    const since = options.since ?? 0
    if (!Number.isFinite(since)) throw new StoreError('invalid', `Invalid time ${since}`)
    const folder = options.folder === undefined ? sql`1 = 1` : sql`folder_path = ${normalizePath(options.folder)}`
    const rows = await this.#ctx.engine.all<RetainedRow>(sql`SELECT id, folder_id, folder_path, deleted_at, received_at, size,
        subject, from_text, message_id, flags, keywords, blob_id
      FROM recoverable_items WHERE account_id = ${account} AND deleted_at >= ${since} AND ${folder}
      ORDER BY deleted_at, id LIMIT ${limit}`)
    return rows.map(toItem)
  }

  async restore(account: AccountId, ids: readonly RecoverableId[], options: { folder?: FolderId } = {}): Promise<RecoveredItem[]> {
    if (ids.length > MAX_RESTORE) throw new StoreError('limit', `More than ${MAX_RESTORE} items in one restore`)
    const result = await this.#ctx.engine.write((tx) => restoreInTx(tx, account, ids, options.folder))
    if (result.modseq) this.#ctx.bus.publish({ account, modseq: result.modseq, folders: result.folders, kind: 'append' })
    return result.restored
  }

  async purge(options: { now?: number } = {}): Promise<number> {
    return purgeExpired(this.#ctx, options.now ?? Date.now())
  }
}

/** Restores in one transaction: the retained row goes as the email comes back, so a restore is never done twice. */
async function restoreInTx(
  tx: Tx,
  account: AccountId,
  ids: readonly RecoverableId[],
  into: FolderId | undefined,
): Promise<{ restored: RecoveredItem[]; modseq: number; folders: FolderId[] }> {
  const rows: Array<{ id: number; folder_id: number; email_id: number; size: number; flags: number; text_id: number | null }> = []
  for (const condition of uidConditions('id', ids)) {
    rows.push(...(await tx.all<(typeof rows)[number]>(sql`SELECT id, folder_id, email_id, size, flags, text_id
      FROM recoverable_items WHERE account_id = ${account} AND ${condition} ORDER BY id`)))
  }
  if (rows.length === 0) return { restored: [], modseq: 0, folders: [] }
  rows.sort((a, b) => a.id - b.id)
  // Quota is charged again (it was given back at deletion): refused as a whole when over.
  const modseq = await chargeQuota(tx, account, rows.reduce((sum, r) => sum + r.size, 0), rows.length)
  const targets = new Map<number, { id: number; path: string }>()
  const restored: RecoveredItem[] = []
  for (const row of rows) {
    const target = await targetFolder(tx, account, into ?? row.folder_id, { explicit: into !== undefined, modseq }, targets)
    const box = await tx.one<{ uid: number }>(sql`UPDATE folders SET uid_next = uid_next + 1, modseq = ${modseq}
      WHERE id = ${target.id} RETURNING uid_next - 1 AS uid`)
    // The blob reference the retained row held passes to the new email: refs do not change.
    // \Deleted is what got it expunged: kept, the client's next EXPUNGE would take it again.
    const flags = row.flags & ~DELETED_BIT
    const email = await tx.one<{ id: number }>(sql`INSERT INTO emails (account_id, ${RETAINED_COLUMNS}, modseq)
      SELECT account_id, blob_id, thread_id, coalesce(text_id, email_id), size, received_at, sent_at, ${flags}, keywords, message_id,
        subject, base_subject, from_addr, to_addr, cc_addr, from_text, to_text, cc_text, bcc_text, ${modseq}
      FROM recoverable_items WHERE id = ${row.id} RETURNING id`)
    await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size)
      VALUES (${target.id}, ${box!.uid}, ${email!.id}, ${modseq}, ${row.text_id ?? row.email_id}, ${flags}, ${row.size})`)
    await tx.run(sql`DELETE FROM recoverable_items WHERE id = ${row.id}`)
    await recordChange(tx, account, { type: 'email', id: email!.id, modseq, created: true })
    restored.push({ id: row.id, folderId: target.id, folderPath: target.path, uid: box!.uid, emailId: email!.id })
  }
  for (const id of new Set(restored.map((r) => r.folderId))) await recordChange(tx, account, { type: 'folder', id, modseq })
  return { restored, modseq, folders: [...new Set(restored.map((r) => r.folderId))] }
}

/**
 * The folder an item goes back to: the asked one (must be a mail folder), else the one it left
 * when it still exists (renamed or not) and holds mail, else "Recovered Items", created on demand.
 */
async function targetFolder(
  tx: Tx,
  account: AccountId,
  id: FolderId,
  options: { explicit: boolean; modseq: number },
  cache: Map<number, { id: number; path: string }>,
): Promise<{ id: number; path: string }> {
  const known = cache.get(id)
  if (known) return known
  const row = await tx.one<{ id: number; path: string; type: string }>(sql`SELECT id, path, type FROM folders WHERE id = ${id} AND account_id = ${account}`)
  if (row && row.type === 'mail') {
    cache.set(id, { id: row.id, path: row.path })
    return cache.get(id)!
  }
  if (options.explicit) throw new StoreError(row ? 'invalid' : 'notFound', `Cannot restore into folder ${id}: ${row ? 'it does not hold email' : 'it does not exist'}`)
  let recovered = await tx.one<{ id: number; path: string; type: string }>(sql`SELECT id, path, type FROM folders
    WHERE account_id = ${account} AND path = ${RECOVERED_FOLDER}`)
  if (!recovered) {
    const created = await createIfMissing(tx, account, { path: RECOVERED_FOLDER, type: 'mail', role: null, modseq: options.modseq })
    recovered = { id: created!.id, path: created!.path, type: 'mail' }
  }
  if (recovered.type !== 'mail') throw new StoreError('invalid', `Cannot restore into "${RECOVERED_FOLDER}": it does not hold email`)
  cache.set(id, { id: recovered.id, path: recovered.path })
  return cache.get(id)!
}

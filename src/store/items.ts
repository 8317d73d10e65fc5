import { sql } from '../db/engine.ts'
import { placeBlob, stageBlob } from './blob-stage.ts'
import { bumpModseq, recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { sweepBlobs } from './emails-remove.ts'
import { StoreError } from './errors.ts'
import { folderInTx } from './folder-rows.ts'
import type { AccountId, FolderId, Item, ItemInput, Items } from './store.ts'

/** Largest item (an iCalendar with years of exceptions is big, not this big). */
export const MAX_ITEM_SIZE = 10 * 1024 * 1024
/** Longest item UID and indexed-fields JSON: both are stored in rows and compared in queries. */
export const MAX_ITEM_UID_LENGTH = 1000
export const MAX_ITEM_FIELDS_LENGTH = 64 * 1024

interface ItemRow {
  id: number
  folder_id: number
  uid: string
  type: Item['type']
  blob_id: string
  size: number
  fields: string
  modseq: number
}

const COLUMNS = sql.raw('i.id, i.folder_id, i.uid, i.type, i.blob_id, b.size, i.fields, i.modseq')

function toItem(row: ItemRow): Item {
  return { id: row.id, folderId: row.folder_id, uid: row.uid, type: row.type, blobId: row.blob_id, size: row.size, fields: JSON.parse(row.fields) as Record<string, unknown>, modseq: row.modseq }
}

/** Items of calendar, contacts, tasks and notes folders; the same blobs, MODSEQ and change log as email. */
export class ItemsImpl implements Items {
  readonly #ctx: StoreContext
  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  async put(account: AccountId, folder: FolderId, input: ItemInput): Promise<Item> {
    if (typeof input.uid !== 'string' || input.uid.length === 0 || input.uid.length > MAX_ITEM_UID_LENGTH) throw new StoreError('invalid', 'Invalid item UID')
    if (!(input.raw instanceof Uint8Array) || input.raw.byteLength === 0) throw new StoreError('invalid', 'An item must be bytes')
    if (input.raw.byteLength > MAX_ITEM_SIZE) throw new StoreError('tooBig', `Item larger than ${MAX_ITEM_SIZE} bytes`)
    const fields = JSON.stringify(input.fields ?? {})
    if (fields.length > MAX_ITEM_FIELDS_LENGTH) throw new StoreError('limit', 'Item fields too large')
    const blob = await stageBlob(this.#ctx, input.raw)
    let result: { id: number; modseq: number; released: string | null }
    try {
      result = await this.#ctx.engine.write(async (tx) => {
        const box = await folderInTx(tx, account, folder)
        if (box.type === 'mail') throw new StoreError('invalid', `Folder ${box.path} holds email, not items`)
        const modseq = await bumpModseq(tx, account)
        const refs = await tx.one<{ refs: number }>(sql`INSERT INTO blobs (id, size, refs, created_at) VALUES (${blob.id}, ${blob.size}, 1, ${Date.now()})
          ON CONFLICT (id) DO UPDATE SET refs = blobs.refs + 1 RETURNING refs`)
        // As for email (emails-write.ts): the first reference stores the bytes.
        await placeBlob(this.#ctx, tx, blob, input.raw, refs!.refs)
        const old = await tx.one<{ id: number; blob_id: string }>(sql`SELECT id, blob_id FROM items WHERE folder_id = ${folder} AND uid = ${input.uid}`)
        let released: string | null = null
        let id: number
        if (old) {
          id = old.id
          await tx.run(sql`UPDATE items SET blob_id = ${blob.id}, fields = ${fields}, modseq = ${modseq} WHERE id = ${id}`)
          const left = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - 1 WHERE id = ${old.blob_id} RETURNING refs`)
          if (left && left.refs <= 0) released = old.blob_id
          await recordChange(tx, account, { type: 'item', id, modseq })
        } else {
          const row = await tx.one<{ id: number }>(sql`INSERT INTO items (account_id, folder_id, type, uid, blob_id, fields, modseq)
            VALUES (${account}, ${folder}, ${box.type}, ${input.uid}, ${blob.id}, ${fields}, ${modseq}) RETURNING id`)
          id = row!.id
          await recordChange(tx, account, { type: 'item', id, modseq, created: true })
        }
        await tx.run(sql`UPDATE folders SET modseq = ${modseq} WHERE id = ${folder}`)
        return { id, modseq, released }
      })
    } catch (error) {
      await sweepBlobs(this.#ctx, [blob.id]).catch(() => {})
      throw error
    }
    this.#ctx.bus.publish({ account, modseq: result.modseq, folders: [folder], kind: 'item' })
    if (result.released) await sweepBlobs(this.#ctx, [result.released]).catch(() => {})
    return (await this.get(account, folder, input.uid))!
  }

  async get(account: AccountId, folder: FolderId, uid: string): Promise<Item | undefined> {
    const row = await this.#ctx.engine.one<ItemRow>(sql`SELECT ${COLUMNS} FROM items i JOIN blobs b ON b.id = i.blob_id
      WHERE i.account_id = ${account} AND i.folder_id = ${folder} AND i.uid = ${uid}`)
    return row && toItem(row)
  }

  async list(account: AccountId, folder: FolderId): Promise<Item[]> {
    const rows = await this.#ctx.engine.all<ItemRow>(sql`SELECT ${COLUMNS} FROM items i JOIN blobs b ON b.id = i.blob_id
      WHERE i.account_id = ${account} AND i.folder_id = ${folder} ORDER BY i.uid`)
    return rows.map(toItem)
  }

  async remove(account: AccountId, folder: FolderId, uid: string): Promise<boolean> {
    const result = await this.#ctx.engine.write(async (tx) => {
      await folderInTx(tx, account, folder)
      const row = await tx.one<{ id: number; blob_id: string }>(sql`DELETE FROM items WHERE folder_id = ${folder} AND uid = ${uid} RETURNING id, blob_id`)
      if (!row) return null
      const modseq = await bumpModseq(tx, account)
      await recordChange(tx, account, { type: 'item', id: row.id, modseq, destroyed: true })
      await tx.run(sql`UPDATE folders SET modseq = ${modseq} WHERE id = ${folder}`)
      const left = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - 1 WHERE id = ${row.blob_id} RETURNING refs`)
      return { modseq, released: left && left.refs <= 0 ? row.blob_id : null }
    })
    if (!result) return false
    this.#ctx.bus.publish({ account, modseq: result.modseq, folders: [folder], kind: 'item' })
    if (result.released) await sweepBlobs(this.#ctx, [result.released]).catch(() => {})
    return true
  }
}

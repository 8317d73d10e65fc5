import { sql, type Tx } from '../db/engine.ts'
import { bumpModseq, recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { removeMemberships, sweepBlobs } from './emails-remove.ts'
import { StoreError } from './errors.ts'
import { normalizePath, parentsOf, SEPARATOR } from './folder-paths.ts'
import { FOLDER_COLUMNS, folderInTx, insertFolder, toFolder, type FolderRow } from './folder-rows.ts'
import { DELETED_BIT, SEEN_BIT } from './keywords.ts'
import {
  FOLDER_ROLES, FOLDER_TYPES,
  type AccountId, type Folder, type FolderId, type FolderRole, type Folders, type FolderStatus, type FolderType, type StoreEvent,
} from './store.ts'

/** Folders per account: a client looping CREATE must hit a wall before the database does. */
export const MAX_FOLDERS_PER_ACCOUNT = 10_000

/** The folder tree of each account (IMAP mailboxes, JMAP Mailbox, DAV collections, EAS folders). */
export class FoldersImpl implements Folders {
  readonly #ctx: StoreContext
  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  #publish(account: AccountId, modseq: number, folders: FolderId[], kind: StoreEvent['kind'] = 'folder'): void {
    this.#ctx.bus.publish({ account, modseq, folders, kind })
  }

  async list(account: AccountId): Promise<Folder[]> {
    const rows = await this.#ctx.engine.all<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders WHERE account_id = ${account} ORDER BY path`)
    return rows.map(toFolder)
  }

  async get(account: AccountId, id: FolderId): Promise<Folder | undefined> {
    const row = await this.#ctx.engine.one<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders WHERE id = ${id} AND account_id = ${account}`)
    return row && toFolder(row)
  }

  async byPath(account: AccountId, path: string): Promise<Folder | undefined> {
    let normal: string
    try {
      normal = normalizePath(path)
    } catch {
      return undefined
    }
    const row = await this.#ctx.engine.one<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders WHERE account_id = ${account} AND path = ${normal}`)
    return row && toFolder(row)
  }

  async byRole(account: AccountId, role: FolderRole): Promise<Folder | undefined> {
    const row = await this.#ctx.engine.one<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders
      WHERE account_id = ${account} AND role = ${role} ORDER BY id LIMIT 1`)
    return row && toFolder(row)
  }

  async create(account: AccountId, path: string, options: { type?: FolderType; role?: FolderRole | null } = {}): Promise<Folder> {
    const normal = normalizePath(path)
    const type = options.type ?? 'mail'
    const role = options.role ?? null
    if (!FOLDER_TYPES.includes(type)) throw new StoreError('invalid', `Unknown folder type ${JSON.stringify(type)}`)
    if (role !== null && !FOLDER_ROLES.includes(role)) throw new StoreError('invalid', `Unknown folder role ${JSON.stringify(role)}`)
    const result = await this.#ctx.engine.write(async (tx) => {
      const modseq = await bumpModseq(tx, account)
      const created: FolderRow[] = []
      for (const parent of parentsOf(normal)) {
        const row = await createIfMissing(tx, account, { path: parent, type: 'mail', role: null, modseq })
        if (row) created.push(row)
      }
      const row = await createIfMissing(tx, account, { path: normal, type, role, modseq })
      if (!row) throw new StoreError('exists', `Cannot create folder "${normal}": it already exists`)
      created.push(row)
      return { row, modseq, ids: created.map((r) => r.id) }
    })
    this.#publish(account, result.modseq, result.ids)
    return toFolder(result.row)
  }

  async rename(account: AccountId, id: FolderId, newPath: string): Promise<Folder> {
    const target = normalizePath(newPath)
    const result = await this.#ctx.engine.write(async (tx) => {
      const folder = await folderInTx(tx, account, id)
      if (await pathExists(tx, account, target)) throw new StoreError('exists', `Cannot rename to "${target}": it already exists`)
      if (target.startsWith(folder.path + SEPARATOR)) throw new StoreError('invalid', `Cannot rename "${folder.path}" into itself`)
      const modseq = await bumpModseq(tx, account)
      const touched: number[] = []
      for (const parent of parentsOf(target)) {
        const row = await createIfMissing(tx, account, { path: parent, type: 'mail', role: null, modseq })
        if (row) touched.push(row.id)
      }
      if (folder.role === 'inbox') {
        // RFC 9051 6.3.6: renaming INBOX moves its messages to a new folder; INBOX stays, empty,
        // and its children are not renamed.
        const fresh = await insertFolder(tx, account, { path: target, type: 'mail', role: null, modseq })
        await recordChange(tx, account, { type: 'folder', id: fresh.id, modseq, created: true })
        await moveAll(tx, account, folder, fresh, modseq)
        touched.push(fresh.id, folder.id)
        return { id: fresh.id, modseq, touched }
      }
      const children = await childrenOf(tx, account, folder.path)
      await tx.run(sql`UPDATE folders SET path = ${target}, modseq = ${modseq} WHERE id = ${id}`)
      await recordChange(tx, account, { type: 'folder', id, modseq })
      touched.push(id)
      for (const child of children) {
        await tx.run(sql`UPDATE folders SET path = ${target + child.path.slice(folder.path.length)}, modseq = ${modseq} WHERE id = ${child.id}`)
        await recordChange(tx, account, { type: 'folder', id: child.id, modseq })
        touched.push(child.id)
      }
      return { id, modseq, touched }
    })
    this.#publish(account, result.modseq, result.touched)
    return (await this.get(account, result.id))!
  }

  async remove(account: AccountId, id: FolderId): Promise<void> {
    const result = await this.#ctx.engine.write(async (tx) => {
      const folder = await folderInTx(tx, account, id)
      if (folder.role === 'inbox') throw new StoreError('inUse', 'Cannot delete the inbox')
      // RFC 9051 6.3.5 would allow keeping a \Noselect parent; we refuse instead, so no hidden state.
      if ((await childrenOf(tx, account, folder.path)).length > 0) throw new StoreError('exists', `Cannot delete folder "${folder.path}": it has children`)
      const modseq = await bumpModseq(tx, account)
      const removed = await removeMemberships(tx, account, id, 'all', { modseq, vanished: false, retain: this.#ctx.retention })
      // Items of a calendar/contacts folder go with it, and give back their blob references.
      for (const item of await tx.all<{ id: number; blob_id: string }>(sql`DELETE FROM items WHERE folder_id = ${id} RETURNING id, blob_id`)) {
        await recordChange(tx, account, { type: 'item', id: item.id, modseq, destroyed: true })
        const left = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - 1 WHERE id = ${item.blob_id} RETURNING refs`)
        if (left && left.refs <= 0) removed.released.push(item.blob_id)
      }
      await tx.run(sql`DELETE FROM folders WHERE id = ${id}`)
      await recordChange(tx, account, { type: 'folder', id, modseq, destroyed: true })
      return { modseq, released: removed.released }
    })
    this.#publish(account, result.modseq, [id])
    await sweepBlobs(this.#ctx, result.released).catch(() => {})
  }

  async subscribe(account: AccountId, id: FolderId, subscribed: boolean): Promise<void> {
    const modseq = await this.#ctx.engine.write(async (tx) => {
      const folder = await folderInTx(tx, account, id)
      if ((folder.subscribed !== 0) === subscribed) return 0
      const modseq = await bumpModseq(tx, account)
      await tx.run(sql`UPDATE folders SET subscribed = ${subscribed ? 1 : 0}, modseq = ${modseq} WHERE id = ${id}`)
      await recordChange(tx, account, { type: 'folder', id, modseq })
      return modseq
    })
    if (modseq) this.#publish(account, modseq, [id])
  }

  async status(account: AccountId, id: FolderId): Promise<FolderStatus> {
    const folder = await this.#ctx.engine.one<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders WHERE id = ${id} AND account_id = ${account}`)
    if (!folder) throw new StoreError('notFound', `Folder ${id} does not exist`)
    // Memberships carry flags and size, so STATUS reads one narrow table.
    const row = await this.#ctx.engine.one<{ messages: number; unseen: number | null; deleted: number | null; size: number | null }>(sql`
      SELECT count(*) AS messages,
        sum(CASE WHEN (flags & ${SEEN_BIT}) = 0 THEN 1 ELSE 0 END) AS unseen,
        sum(CASE WHEN (flags & ${DELETED_BIT}) <> 0 THEN 1 ELSE 0 END) AS deleted,
        sum(size) AS size
      FROM memberships WHERE folder_id = ${id}`)
    return {
      messages: row?.messages ?? 0,
      unseen: row?.unseen ?? 0,
      deleted: row?.deleted ?? 0,
      size: row?.size ?? 0,
      uidNext: folder.uid_next,
      uidValidity: folder.uid_validity,
      highestModseq: folder.modseq,
    }
  }
}

/** Folders below `path` (compared in JS: SQL string functions count characters differently). */
async function childrenOf(tx: Tx, account: AccountId, path: string): Promise<Array<{ id: number; path: string }>> {
  const rows = await tx.all<{ id: number; path: string }>(sql`SELECT id, path FROM folders WHERE account_id = ${account}`)
  return rows.filter((r) => r.path.startsWith(path + SEPARATOR))
}

async function pathExists(tx: Tx, account: AccountId, path: string): Promise<boolean> {
  return (await tx.one(sql`SELECT id FROM folders WHERE account_id = ${account} AND path = ${path}`)) !== undefined
}

/** Creates the folder unless its path is taken; returns the new row, or undefined. */
export async function createIfMissing(
  tx: Tx,
  account: AccountId,
  folder: { path: string; type: FolderType; role: FolderRole | null; modseq: number },
): Promise<FolderRow | undefined> {
  if (await pathExists(tx, account, folder.path)) return undefined
  const count = await tx.one<{ n: number }>(sql`SELECT count(*) AS n FROM folders WHERE account_id = ${account}`)
  if ((count?.n ?? 0) >= MAX_FOLDERS_PER_ACCOUNT) throw new StoreError('limit', `An account holds at most ${MAX_FOLDERS_PER_ACCOUNT} folders`)
  const row = await insertFolder(tx, account, folder)
  await recordChange(tx, account, { type: 'folder', id: row.id, modseq: folder.modseq, created: true })
  return row
}

/** Moves every message of `from` into `to` with new UIDs; `from`'s UIDs are expunged. */
async function moveAll(tx: Tx, account: AccountId, from: FolderRow, to: FolderRow, modseq: number): Promise<void> {
  const rows = await tx.all<{ uid: number; email_id: number; text_id: number; flags: number; size: number }>(sql`SELECT uid, email_id, text_id, flags, size
    FROM memberships WHERE folder_id = ${from.id} ORDER BY uid`)
  let uid = to.uid_next
  for (const row of rows) {
    await tx.run(sql`DELETE FROM memberships WHERE folder_id = ${from.id} AND uid = ${row.uid}`)
    await tx.run(sql`INSERT INTO expunged (folder_id, uid, modseq) VALUES (${from.id}, ${row.uid}, ${modseq})
      ON CONFLICT (folder_id, uid) DO UPDATE SET modseq = excluded.modseq`)
    await tx.run(sql`INSERT INTO memberships (folder_id, uid, email_id, modseq, text_id, flags, size)
      VALUES (${to.id}, ${uid++}, ${row.email_id}, ${modseq}, ${row.text_id}, ${row.flags}, ${row.size})`)
    await tx.run(sql`UPDATE emails SET modseq = ${modseq} WHERE id = ${row.email_id}`)
    await recordChange(tx, account, { type: 'email', id: row.email_id, modseq })
  }
  await tx.run(sql`UPDATE folders SET uid_next = ${uid}, modseq = ${modseq} WHERE id = ${to.id}`)
  await tx.run(sql`UPDATE folders SET modseq = ${modseq} WHERE id = ${from.id}`)
  await recordChange(tx, account, { type: 'folder', id: from.id, modseq })
}


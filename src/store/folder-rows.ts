import { sql, type Tx } from '../db/engine.ts'
import { StoreError } from './errors.ts'
import type { AccountId, Folder, FolderId, FolderRole, FolderType } from './store.ts'

export interface FolderRow {
  id: number
  account_id: number
  path: string
  type: FolderType
  role: FolderRole | null
  uid_validity: number
  uid_next: number
  subscribed: number
  modseq: number
}

export const FOLDER_COLUMNS = sql.raw('id, account_id, path, type, role, uid_validity, uid_next, subscribed, modseq')

export function toFolder(row: FolderRow): Folder {
  return {
    id: row.id,
    accountId: row.account_id,
    path: row.path,
    type: row.type,
    role: row.role,
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    subscribed: row.subscribed !== 0,
    modseq: row.modseq,
  }
}

/** The folder, checked to belong to `account`, inside a write. */
export async function folderInTx(tx: Tx, account: AccountId, id: FolderId): Promise<FolderRow> {
  const row = await tx.one<FolderRow>(sql`SELECT ${FOLDER_COLUMNS} FROM folders WHERE id = ${id} AND account_id = ${account}`)
  if (!row) throw new StoreError('notFound', `Folder ${id} does not exist`)
  return row
}

/**
 * A fresh UIDVALIDITY: the time in seconds, but always above the last one handed out in this
 * account, so a folder deleted and recreated under the same name never gets the same value
 * (RFC 9051 2.3.1.1). Seconds fit the 32-bit field until 2106.
 */
export async function newUidValidity(tx: Tx, account: AccountId): Promise<number> {
  const now = Math.floor(Date.now() / 1000)
  const row = await tx.one<{ v: number }>(sql`UPDATE accounts SET last_uid_validity =
    CASE WHEN last_uid_validity + 1 > ${now} THEN last_uid_validity + 1 ELSE ${now} END
    WHERE id = ${account} RETURNING last_uid_validity AS v`)
  if (!row) throw new StoreError('notFound', `Account ${account} does not exist`)
  return row.v
}

export async function insertFolder(
  tx: Tx,
  account: AccountId,
  folder: { path: string; type: FolderType; role: FolderRole | null; modseq: number },
): Promise<FolderRow> {
  const uidValidity = await newUidValidity(tx, account)
  const row = await tx.one<FolderRow>(sql`INSERT INTO folders (account_id, path, type, role, uid_validity, uid_next, subscribed, modseq, created_modseq)
    VALUES (${account}, ${folder.path}, ${folder.type}, ${folder.role}, ${uidValidity}, 1, 1, ${folder.modseq}, ${folder.modseq})
    RETURNING ${FOLDER_COLUMNS}`)
  return row!
}

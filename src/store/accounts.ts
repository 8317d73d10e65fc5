import { sql } from '../db/engine.ts'
import { bumpModseq } from './changes.ts'
import type { StoreContext } from './context.ts'
import { sweepBlobs } from './emails-remove.ts'
import { StoreError } from './errors.ts'
import { createIfMissing } from './folders.ts'
import { releaseAccountRetained } from './recoverable-retain.ts'
import type { AccountId, AccountInfo, Accounts, FolderRole, FolderType } from './store.ts'

/** The folders every new mailbox starts with (RFC 6154 roles; Exchange's default folders). */
export const DEFAULT_FOLDERS: ReadonlyArray<{ path: string; type: FolderType; role: FolderRole | null }> = [
  { path: 'INBOX', type: 'mail', role: 'inbox' },
  { path: 'Drafts', type: 'mail', role: 'drafts' },
  { path: 'Sent', type: 'mail', role: 'sent' },
  { path: 'Trash', type: 'mail', role: 'trash' },
  { path: 'Junk', type: 'mail', role: 'junk' },
  { path: 'Archive', type: 'mail', role: 'archive' },
  { path: 'Calendar', type: 'calendar', role: null },
  { path: 'Contacts', type: 'contacts', role: null },
  { path: 'Tasks', type: 'tasks', role: null },
  { path: 'Notes', type: 'notes', role: null },
]

/** null, or a positive integer; 0 means unlimited (as `store.default_quota` documents). */
function quotaValue(value: number | null | undefined, what: string): number | null {
  if (value === null || value === undefined || value === 0) return null
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreError('invalid', `Invalid ${what} quota ${value}`)
  return value
}

export class AccountsImpl implements Accounts {
  readonly #ctx: StoreContext
  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  async provision(account: AccountId, quota: { bytes?: number | null; messages?: number | null } = {}): Promise<void> {
    if (!Number.isSafeInteger(account) || account <= 0) throw new StoreError('invalid', `Invalid account id ${account}`)
    const bytes = quotaValue(quota.bytes, 'byte')
    const messages = quotaValue(quota.messages, 'message')
    await this.#ctx.engine.write(async (tx) => {
      await tx.run(sql`INSERT INTO accounts (id, quota_bytes, quota_messages) VALUES (${account}, ${bytes}, ${messages})
        ON CONFLICT (id) DO NOTHING`)
      const have = await tx.all<{ path: string }>(sql`SELECT path FROM folders WHERE account_id = ${account}`)
      const missing = DEFAULT_FOLDERS.filter((f) => !have.some((h) => h.path === f.path))
      if (missing.length === 0) return
      const modseq = await bumpModseq(tx, account)
      for (const folder of missing) await createIfMissing(tx, account, { ...folder, modseq })
    })
  }

  async get(account: AccountId): Promise<AccountInfo | undefined> {
    const row = await this.#ctx.engine.one<{ id: number; modseq: number; used_bytes: number; used_messages: number; quota_bytes: number | null; quota_messages: number | null }>(
      sql`SELECT id, modseq, used_bytes, used_messages, quota_bytes, quota_messages FROM accounts WHERE id = ${account}`,
    )
    if (!row) return undefined
    return {
      id: row.id,
      modseq: row.modseq,
      usedBytes: row.used_bytes,
      usedMessages: row.used_messages,
      quotaBytes: row.quota_bytes,
      quotaMessages: row.quota_messages,
    }
  }

  async setQuota(account: AccountId, quota: { bytes: number | null; messages: number | null }): Promise<void> {
    const bytes = quotaValue(quota.bytes, 'byte')
    const messages = quotaValue(quota.messages, 'message')
    await this.#ctx.engine.write(async (tx) => {
      const result = await tx.run(sql`UPDATE accounts SET quota_bytes = ${bytes}, quota_messages = ${messages} WHERE id = ${account}`)
      if (result.changes === 0) throw new StoreError('notFound', `Account ${account} does not exist`)
    })
  }

  async remove(account: AccountId): Promise<void> {
    const released = await this.#ctx.engine.write(async (tx) => {
      const exists = await tx.one(sql`SELECT id FROM accounts WHERE id = ${account}`)
      if (!exists) throw new StoreError('notFound', `Account ${account} does not exist`)
      const held = await tx.all<{ blob_id: string; n: number }>(sql`SELECT blob_id, count(*) AS n FROM (
          SELECT blob_id FROM emails WHERE account_id = ${account}
          UNION ALL SELECT blob_id FROM items WHERE account_id = ${account}
        ) AS held GROUP BY blob_id`)
      const released: string[] = []
      for (const blob of held) {
        const row = await tx.one<{ refs: number }>(sql`UPDATE blobs SET refs = refs - ${blob.n} WHERE id = ${blob.blob_id} RETURNING refs`)
        if (row && row.refs <= 0) released.push(blob.blob_id)
      }
      // Its Recoverable Items go too, giving back the blob references they held.
      released.push(...(await releaseAccountRetained(tx, account)))
      await tx.run(sql`DELETE FROM deliveries WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM changes WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM thread_refs WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM memberships WHERE folder_id IN (SELECT id FROM folders WHERE account_id = ${account})`)
      await tx.run(sql`DELETE FROM items WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM emails WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM folders WHERE account_id = ${account}`)
      await tx.run(sql`DELETE FROM accounts WHERE id = ${account}`)
      return released
    })
    await sweepBlobs(this.#ctx, released)
  }
}

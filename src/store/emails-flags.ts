import { sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { requireFolder } from './emails-read.ts'
import { fromColumns } from './keywords.ts'
import type { AccountId, FolderId, MessageFlags } from './store.ts'
import { uidConditions } from './uid-sets.ts'

/**
 * Keywords and modseq of these UIDs, in UID order; UIDs not in the folder are skipped. What IMAP
 * FETCH (UID FLAGS MODSEQ) and flag-change reports need, without `info`'s join of the metadata
 * table and parse of its JSON: a client syncing flags of 5,000 messages reads none of it.
 */
export async function messageFlags(ctx: StoreContext, account: AccountId, folder: FolderId, uids: readonly number[]): Promise<MessageFlags[]> {
  await requireFolder(ctx, account, folder)
  const out: MessageFlags[] = []
  for (const condition of uidConditions('m.uid', uids)) {
    const rows = await ctx.engine.all<{ uid: number; email_id: number; modseq: number; flags: number; keywords: string | null }>(
      sql`SELECT m.uid, m.email_id, m.modseq, e.flags, e.keywords FROM memberships m JOIN emails e ON e.id = m.email_id
        WHERE m.folder_id = ${folder} AND ${condition} ORDER BY m.uid`,
    )
    for (const row of rows) out.push({ uid: row.uid, emailId: row.email_id, modseq: row.modseq, keywords: fromColumns(row.flags, row.keywords) })
  }
  return out
}

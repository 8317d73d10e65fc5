import { sql } from '../db/engine.ts'
import { bumpModseq, recordChange } from './changes.ts'
import type { StoreContext } from './context.ts'
import { StoreError } from './errors.ts'
import { folderInTx } from './folder-rows.ts'
import { applyKeywordChange, fromColumns, normalizeKeywords, toColumns } from './keywords.ts'
import type { AccountId, FolderId, StoreKeywordsInput, StoreKeywordsResult } from './store.ts'
import { uidConditions } from './uid-sets.ts'

const OPS = new Set(['add', 'remove', 'set'])

/**
 * IMAP STORE / JMAP Email/set keywords. MODSEQ is bumped once for the operation and only messages
 * whose keywords really change get it (RFC 7162 3.1.3); with `unchangedSince`, a message whose
 * modseq is above it is left alone and reported in `modified` (it is re-checked inside the write,
 * so a concurrent change cannot slip between the test and the update).
 */
export async function setKeywords(
  ctx: StoreContext,
  account: AccountId,
  folder: FolderId,
  uids: readonly number[],
  change: StoreKeywordsInput,
): Promise<StoreKeywordsResult> {
  if (!OPS.has(change.op)) throw new StoreError('invalid', `Unknown keyword change ${JSON.stringify(change.op)}`)
  const wanted = normalizeKeywords(change.keywords)
  const since = change.unchangedSince
  if (since !== undefined && !(Number.isInteger(since) && since >= 0)) throw new StoreError('invalid', 'Invalid UNCHANGEDSINCE')
  const result = await ctx.engine.write(async (tx) => {
    await folderInTx(tx, account, folder)
    const out: StoreKeywordsResult = { updated: [], modified: [] }
    let modseq = 0
    const changed: number[] = []
    for (const condition of uidConditions('m.uid', uids)) {
      const rows = await tx.all<{ uid: number; email_id: number; modseq: number; flags: number; keywords: string | null }>(sql`
        SELECT m.uid, m.email_id, m.modseq, e.flags, e.keywords FROM memberships m JOIN emails e ON e.id = m.email_id
        WHERE m.folder_id = ${folder} AND ${condition} ORDER BY m.uid`)
      for (const row of rows) {
        if (since !== undefined && row.modseq > since) {
          out.modified.push(row.uid)
          continue
        }
        const before = fromColumns(row.flags, row.keywords)
        const next = toColumns(applyKeywordChange(before, change.op, wanted))
        if (next.flags === row.flags && next.keywords === row.keywords) continue
        if (modseq === 0) modseq = await bumpModseq(tx, account)
        await tx.run(sql`UPDATE emails SET flags = ${next.flags}, keywords = ${next.keywords}, modseq = ${modseq} WHERE id = ${row.email_id}`)
        // Keywords live on the email: every folder holding it sees the new modseq.
        await tx.run(sql`UPDATE memberships SET modseq = ${modseq}, flags = ${next.flags} WHERE email_id = ${row.email_id}`)
        await recordChange(tx, account, { type: 'email', id: row.email_id, modseq })
        changed.push(row.email_id)
        out.updated.push({ uid: row.uid, keywords: fromColumns(next.flags, next.keywords), modseq })
      }
    }
    const folders = new Set<number>()
    for (const emailId of changed) {
      for (const row of await tx.all<{ folder_id: number }>(sql`SELECT folder_id FROM memberships WHERE email_id = ${emailId}`)) {
        folders.add(row.folder_id)
      }
    }
    for (const id of folders) await tx.run(sql`UPDATE folders SET modseq = ${modseq} WHERE id = ${id}`)
    return { out, modseq, folders: [...folders] }
  })
  if (result.modseq !== 0) ctx.bus.publish({ account, modseq: result.modseq, folders: result.folders, kind: 'flags' })
  return result.out
}

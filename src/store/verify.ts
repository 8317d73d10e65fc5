import { createHash } from 'node:crypto'
import { sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'

export interface VerifyReport {
  checked: number
  mismatched: string[]
  missing: string[]
  orphaned: string[]
  badRefs: string[]
}

/**
 * Re-hashes every blob file (through `stream`, never a cache) and checks the books: a row whose
 * file is gone (missing), a file whose bytes no longer hash to its name or cannot be decoded
 * (mismatched), a file no row knows (orphaned), a row whose `refs` differs from the emails,
 * items and retained Recoverable Items that really point at it (badRefs).
 */
export async function verifyStore(ctx: StoreContext): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, mismatched: [], missing: [], orphaned: [], badRefs: [] }
  const rows = await ctx.engine.all<{ id: string; refs: number; actual: number }>(sql`SELECT b.id, b.refs,
      (SELECT count(*) FROM emails e WHERE e.blob_id = b.id) + (SELECT count(*) FROM items i WHERE i.blob_id = b.id)
        + (SELECT count(*) FROM recoverable_items r WHERE r.blob_id = b.id) AS actual
    FROM blobs b ORDER BY b.id`)
  const known = new Set<string>()
  for (const row of rows) {
    known.add(row.id)
    if (row.refs !== row.actual) report.badRefs.push(row.id)
  }
  for await (const id of ctx.blobs.ids()) {
    report.checked++
    if (!known.has(id)) report.orphaned.push(id)
    if (!(await hashMatches(ctx, id))) report.mismatched.push(id)
    known.delete(id)
  }
  // Rows left: no file. One that nobody references is only waiting for its sweep.
  for (const row of rows) if (known.has(row.id) && row.refs > 0) report.missing.push(row.id)
  return report
}

async function hashMatches(ctx: StoreContext, id: string): Promise<boolean> {
  try {
    const hash = createHash('sha256')
    for await (const chunk of await ctx.blobs.stream(id)) hash.update(chunk as Uint8Array)
    return hash.digest('hex') === id
  } catch {
    return false
  }
}

import { createHash } from 'node:crypto'
import type { Tx } from '../db/engine.ts'
import { encode } from './blobs/fs.ts'
import { INLINE_BLOB_MAX, putInline } from './blobs/tiered.ts'
import type { StoreContext } from './context.ts'

/** A blob ready for its write: a file already stored and fsynced, or inline bytes to insert in it. */
export interface StagedBlob {
  id: string
  size: number
  /** The stored form (format byte + payload) of a blob kept in the database; null for a file. */
  inline: Uint8Array | null
}

/**
 * Before the write: a small blob is only hashed and encoded (its bytes go into the write's own
 * transaction, made durable by its group commit); a large one is put as a file, fsynced, now.
 */
export async function stageBlob(ctx: StoreContext, raw: Uint8Array): Promise<StagedBlob> {
  if (raw.byteLength > INLINE_BLOB_MAX || !(await ctx.blobs.inlineReady())) return { ...(await ctx.blobs.put(raw)), inline: null }
  const id = createHash('sha256').update(raw).digest('hex')
  return { id, size: raw.byteLength, inline: Buffer.concat(await encode(raw)) }
}

/**
 * Inside the write, after taking a reference (`refs` is the count now): the first reference makes
 * sure the bytes are there. Inline bytes are inserted here (dedupe: one row per sha256). A file
 * may have been taken for an orphan by a sweep (in this process or another) between its put and
 * this write; checked under the write lock, so no sweep can slip in between, and put again.
 */
export async function placeBlob(ctx: StoreContext, tx: Tx, blob: StagedBlob, raw: Uint8Array, refs: number): Promise<void> {
  if (refs !== 1) return
  if (blob.inline) await putInline(tx, blob.id, blob.inline)
  else if (!(await ctx.blobs.has(blob.id))) await ctx.blobs.put(raw)
}

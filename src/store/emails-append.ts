import { sql } from '../db/engine.ts'
import { stageBlob } from './blob-stage.ts'
import { sweepBlobs } from './emails-remove.ts'
import type { StoreContext } from './context.ts'
import type { PreparedEmail } from './emails-write.ts'
import { queueInsert } from './insert-queue.ts'
import { StoreError, storageFault } from './errors.ts'
import { parseMessage } from './ingest.ts'
import { normalizeKeywords } from './keywords.ts'
import type { AccountId, AppendInput, AppendResult, FolderId } from './store.ts'

/** Largest message the store accepts whatever the protocol's own limit (a bound on memory). */
export const MAX_MESSAGE_SIZE = 256 * 1024 * 1024
/** Recipients of one local delivery: bounds one call's work (SMTP caps RCPT far lower). */
export const MAX_DELIVERY_ACCOUNTS = 10_000
/** A delivery id is the queue's id for a message; anything longer is not one. */
const MAX_DELIVERY_ID_LENGTH = 200

/** Parses the bytes once and stages the blob (a file fsynced now, or inline bytes for the write). */
async function prepare(ctx: StoreContext, input: AppendInput): Promise<PreparedEmail> {
  if (!(input.raw instanceof Uint8Array)) throw new StoreError('invalid', 'A message must be bytes')
  if (input.raw.byteLength === 0) throw new StoreError('invalid', 'A message cannot be empty')
  if (input.raw.byteLength > MAX_MESSAGE_SIZE) throw new StoreError('tooBig', `Message larger than ${MAX_MESSAGE_SIZE} bytes`)
  const receivedAt = input.receivedAt ?? Date.now()
  if (!Number.isFinite(receivedAt)) throw new StoreError('invalid', 'Invalid internal date')
  const keywords = normalizeKeywords(input.keywords ?? [])
  const parsed = parseMessage(input.raw)
  const blob = await stageBlob(ctx, input.raw)
  return { raw: input.raw, parsed, blobId: blob.id, inline: blob.inline, keywords, receivedAt: Math.trunc(receivedAt) }
}

/** IMAP APPEND, JMAP Email/import: one message into one folder, in the next group commit. */
export async function appendEmail(ctx: StoreContext, account: AccountId, folder: FolderId, input: AppendInput): Promise<AppendResult> {
  const email = await prepare(ctx, input)
  let result: AppendResult
  try {
    result = (await queueInsert(ctx, { account, folder, email })).result
  } catch (error) {
    // Refused (quota, no such folder): the blob must not outlive the refusal.
    await sweepBlobs(ctx, [email.blobId]).catch(() => {})
    throw storageFault(error)
  }
  ctx.bus.publish({ account, modseq: result.modseq, folders: [result.folderId], kind: 'append' })
  ctx.indexer.kick()
  return result
}

/**
 * Local delivery into the inbox of each account. The blob is stored once for all of them
 * (single-instance storage); each account's insert joins the next group commit together with
 * every other delivery and APPEND queued meanwhile (insert-queue.ts), and one account's failure
 * (over quota) does not affect the others.
 */
export async function deliverEmail(
  ctx: StoreContext,
  accounts: readonly AccountId[],
  input: AppendInput & { deliveryId?: string },
): Promise<Map<AccountId, AppendResult | Error>> {
  const targets = [...new Set(accounts)]
  if (targets.length > MAX_DELIVERY_ACCOUNTS) throw new StoreError('limit', `More than ${MAX_DELIVERY_ACCOUNTS} accounts in one delivery`)
  const deliveryId = input.deliveryId
  if (deliveryId !== undefined && (typeof deliveryId !== 'string' || deliveryId.length === 0 || deliveryId.length > MAX_DELIVERY_ID_LENGTH)) {
    throw new StoreError('invalid', 'Invalid delivery id')
  }
  const results = new Map<AccountId, AppendResult | Error>()
  if (targets.length === 0) return results
  if (deliveryId !== undefined) {
    // A replay whose every account is done must not store the bytes again (they may be expunged).
    const done = await ctx.engine.all<{ account_id: number; result: string }>(sql`SELECT account_id, result FROM deliveries
      WHERE delivery_id = ${deliveryId} AND account_id IN (${sql.list(targets)})`)
    if (done.length === targets.length) {
      const byAccount = new Map(done.map((row) => [row.account_id, JSON.parse(row.result) as AppendResult]))
      return new Map(targets.map((account) => [account, byAccount.get(account)!]))
    }
  }
  const email = await prepare(ctx, input)
  await Promise.all(targets.map(async (account) => {
    try {
      const outcome = await queueInsert(ctx, { account, folder: 'inbox', email, deliveryId })
      results.set(account, outcome.result)
      if (outcome.fresh) ctx.bus.publish({ account, modseq: outcome.result.modseq, folders: [outcome.result.folderId], kind: 'append' })
    } catch (error) {
      results.set(account, storageFault(error) as Error)
    }
  }))
  if (![...results.values()].some((r) => !(r instanceof Error))) await sweepBlobs(ctx, [email.blobId]).catch(() => {})
  else ctx.indexer.kick()
  // In the order asked, whatever order the writes finished in.
  return new Map(targets.map((account) => [account, results.get(account)!]))
}

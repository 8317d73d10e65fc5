import { sql, type Tx } from '../db/engine.ts'
import { StoreError } from './errors.ts'
import type { AccountId } from './store.ts'

/**
 * Charges `bytes` and `messages` to the account's quota and bumps its MODSEQ, in one statement
 * that only matches when the result stays within both limits, so a refused write changes nothing
 * (the caller's savepoint then rolls back the rest). Quotas are exact: usage moves in the same
 * transaction as the messages it counts. Returns the new MODSEQ.
 */
export async function chargeQuota(tx: Tx, account: AccountId, bytes: number, messages: number): Promise<number> {
  const row = await tx.one<{ modseq: number }>(sql`UPDATE accounts
    SET modseq = modseq + 1, used_bytes = used_bytes + ${bytes}, used_messages = used_messages + ${messages}
    WHERE id = ${account}
      AND (quota_bytes IS NULL OR used_bytes + ${bytes} <= quota_bytes)
      AND (quota_messages IS NULL OR used_messages + ${messages} <= quota_messages)
    RETURNING modseq`)
  if (row) return row.modseq
  const exists = await tx.one(sql`SELECT id FROM accounts WHERE id = ${account}`)
  if (!exists) throw new StoreError('notFound', `Account ${account} does not exist`)
  throw new StoreError('overQuota', `Storing ${messages} message(s) of ${bytes} bytes would exceed the quota of account ${account}`)
}

/** Gives back what a destroyed email used. */
export async function releaseQuota(tx: Tx, account: AccountId, bytes: number, messages: number): Promise<void> {
  await tx.run(sql`UPDATE accounts SET used_bytes = used_bytes - ${bytes}, used_messages = used_messages - ${messages} WHERE id = ${account}`)
}

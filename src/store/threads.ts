import { sql, type Tx } from '../db/engine.ts'
import type { AccountId } from './store.ts'

/** Ids of a message looked up for its thread: a References header of thousands must not cost thousands of lookups. */
export const MAX_THREAD_IDS = 50

/** The Message-ID and the ids it refers to (In-Reply-To, References), without angle brackets. */
export function threadIds(messageId: string | null, references: readonly string[]): string[] {
  const all = [messageId, ...references.slice(-MAX_THREAD_IDS)]
    .filter((id): id is string => typeof id === 'string' && id.length > 0)
    .map((id) => id.replace(/^<|>$/g, '').slice(0, 500))
  return [...new Set(all)]
}

/**
 * The thread an incoming message joins: that of any message it names or that named it
 * (a reply may arrive before its parent). Null means it starts a new thread.
 */
export async function findThread(tx: Tx, account: AccountId, ids: readonly string[]): Promise<number | null> {
  if (ids.length === 0) return null
  const row = await tx.one<{ thread_id: number }>(sql`SELECT thread_id FROM thread_refs
    WHERE account_id = ${account} AND message_id IN (${sql.list(ids)}) LIMIT 1`)
  return row ? row.thread_id : null
}

/** Remembers that these ids belong to `thread`, so later replies find it. */
export async function linkThread(tx: Tx, account: AccountId, thread: number, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await tx.run(sql`INSERT INTO thread_refs (account_id, message_id, thread_id) VALUES (${account}, ${id}, ${thread})
      ON CONFLICT (account_id, message_id) DO NOTHING`)
  }
}

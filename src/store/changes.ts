import { sql, type Engine, type Tx } from '../db/engine.ts'
import { StoreError } from './errors.ts'
import type { AccountId, ChangeLog, Changes } from './store.ts'

export type ObjectType = 'folder' | 'email' | 'item'

/** Bumps the account's one MODSEQ counter (RFC 7162 3.1) and returns the new value. */
export async function bumpModseq(tx: Tx, account: AccountId): Promise<number> {
  const row = await tx.one<{ modseq: number }>(sql`UPDATE accounts SET modseq = modseq + 1 WHERE id = ${account} RETURNING modseq`)
  if (!row) throw new StoreError('notFound', `Account ${account} does not exist`)
  return row.modseq
}

/**
 * Records the latest change of one object: the change log keeps one row per object, with its
 * creation modseq so that "created since" and "updated since" can be told apart, and tombstones.
 */
export async function recordChange(
  tx: Tx,
  account: AccountId,
  change: { type: ObjectType; id: number; modseq: number; created?: boolean; destroyed?: boolean },
): Promise<void> {
  const destroyed = change.destroyed ? 1 : 0
  if (change.created) {
    await tx.run(sql`INSERT INTO changes (account_id, type, object_id, created_modseq, modseq, destroyed)
      VALUES (${account}, ${change.type}, ${change.id}, ${change.modseq}, ${change.modseq}, 0)`)
    return
  }
  await tx.run(sql`INSERT INTO changes (account_id, type, object_id, created_modseq, modseq, destroyed)
    VALUES (${account}, ${change.type}, ${change.id}, 0, ${change.modseq}, ${destroyed})
    ON CONFLICT (account_id, type, object_id) DO UPDATE SET modseq = excluded.modseq, destroyed = excluded.destroyed`)
}

/** "What changed since N" for JMAP /changes, EAS Sync and DAV sync-collection. */
export class ChangeLogImpl implements ChangeLog {
  readonly #engine: Engine
  constructor(engine: Engine) {
    this.#engine = engine
  }

  async since(account: AccountId, modseq: number): Promise<Changes> {
    const head = await this.#engine.one<{ modseq: number }>(sql`SELECT modseq FROM accounts WHERE id = ${account}`)
    if (!head) throw new StoreError('notFound', `Account ${account} does not exist`)
    // Bounded above by the modseq read first, so a commit landing in between is left for next time
    // instead of being reported twice.
    const rows = await this.#engine.all<{ type: ObjectType; object_id: number; created_modseq: number; destroyed: number }>(
      sql`SELECT type, object_id, created_modseq, destroyed FROM changes
          WHERE account_id = ${account} AND modseq > ${modseq} AND modseq <= ${head.modseq}
          ORDER BY modseq, type, object_id`,
    )
    const out: Changes = { modseq: head.modseq, created: [], updated: [], destroyed: [] }
    for (const row of rows) {
      const ref = { type: row.type, id: row.object_id }
      const createdAfter = row.created_modseq > modseq
      if (row.destroyed) {
        // Created and destroyed since: the client never saw it (RFC 8620 5.2 lets us omit it).
        if (!createdAfter) out.destroyed.push(ref)
      } else if (createdAfter) out.created.push(ref)
      else out.updated.push(ref)
    }
    return out
  }
}

/**
 * One POP3 session per maildrop (RFC 1939 §8: the server acquires an exclusive-access lock on the
 * maildrop when entering TRANSACTION). Held in this process: a cluster needs a `cluster/lease.ts`
 * lease here instead.
 */
import type { AccountId } from '../../store/store.ts'

export class MaildropLocks {
  readonly #held = new Set<AccountId>()

  /** Takes the lock; false if another session holds it. */
  acquire(account: AccountId): boolean {
    if (this.#held.has(account)) return false
    this.#held.add(account)
    return true
  }

  release(account: AccountId): void {
    this.#held.delete(account)
  }
}

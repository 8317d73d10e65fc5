/**
 * The sessions of one IMAP service, by account: one bus subscription dispatches store events to
 * the sessions of that account (not one listener per session: thousands of IDLE connections stay
 * cheap), and per-user connection counts are kept here.
 */
import type { ServerContext } from '../../server-context.ts'
import type { StoreEvent } from '../../store/store.ts'
import type { ImapSession } from './session.ts'
import { ByteBudget } from './byte-budget.ts'

/**
 * APPEND message bytes being ingested at once, across all sessions of the service (each is read
 * into memory, parsed and stored under this budget): a crowd of big APPENDs queues instead of
 * exhausting memory. At least imap.max_literal, so one biggest message always fits.
 */
export const APPEND_INGEST_BUDGET_BYTES = 128 * 1024 * 1024

export class ImapHub {
  readonly ctx: ServerContext
  readonly #byAccount = new Map<number, Set<ImapSession>>()
  /** Bytes of APPENDed messages in memory for their ingest (see APPEND_INGEST_BUDGET_BYTES). */
  readonly appendBudget: ByteBudget
  #unsubscribe: (() => void) | null = null

  constructor(ctx: ServerContext) {
    this.ctx = ctx
    this.appendBudget = new ByteBudget(Math.max(APPEND_INGEST_BUDGET_BYTES, ctx.config.number('imap.max_literal')))
    this.#unsubscribe = ctx.store.bus.subscribe((event: StoreEvent) => this.#dispatch(event))
  }

  /** Sessions of this account now (for the per-user limit). */
  count(account: number): number {
    return this.#byAccount.get(account)?.size ?? 0
  }

  attach(session: ImapSession): void {
    const account = session.account
    let set = this.#byAccount.get(account)
    if (!set) this.#byAccount.set(account, (set = new Set()))
    set.add(session)
  }

  detach(session: ImapSession): void {
    if (session.state.kind !== 'authenticated' && session.state.kind !== 'selected') {
      for (const [account, set] of this.#byAccount) {
        if (set.delete(session) && set.size === 0) this.#byAccount.delete(account)
      }
      return
    }
    const set = this.#byAccount.get(session.account)
    if (set?.delete(session) && set.size === 0) this.#byAccount.delete(session.account)
  }

  close(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
  }

  #dispatch(event: StoreEvent): void {
    const set = this.#byAccount.get(event.account)
    if (!set) return
    for (const session of set) session.notify(event.folders)
  }
}

/**
 * The sessions of one IMAP service, by account: one bus subscription dispatches store events to
 * the sessions of that account (not one listener per session: thousands of IDLE connections stay
 * cheap), and per-user connection counts are kept here.
 */
import type { ServerContext } from '../../server-context.ts'
import type { StoreEvent } from '../../store/store.ts'
import type { ImapSession } from './session.ts'

export class ImapHub {
  readonly ctx: ServerContext
  readonly #byAccount = new Map<number, Set<ImapSession>>()
  #unsubscribe: (() => void) | null = null

  constructor(ctx: ServerContext) {
    this.ctx = ctx
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

/**
 * Outbound connection reuse and per-destination limits: at most `perDestination` connections at
 * once to one next hop (a domain's MX set or a smarthost), so one busy domain neither floods its
 * receiver (which would throttle us) nor takes every worker. Idle connections are kept briefly and
 * reused (RSET, then the next transaction) instead of a new TCP+TLS handshake per message.
 */
import type { SmtpClient } from './smtp-client.ts'

/** An idle connection is closed after this long (receivers drop idle clients after ~5 min anyway). */
const IDLE_MS = 10_000
/** Messages per connection before we open a fresh one (bounds damage of a stuck session). */
const MAX_MESSAGES_PER_CONNECTION = 100

interface Idle {
  client: SmtpClient
  key: string
  used: number
  timer: NodeJS.Timeout
}

export class ConnectionPool {
  readonly #perDestination: number
  readonly #total: number
  readonly #active = new Map<string, number>()
  #inFlight = 0
  #waiters: Array<() => void> = []
  readonly #idle = new Map<string, Idle[]>()
  readonly #uses = new WeakMap<SmtpClient, number>()

  /**
   * `perDestination` (queue.per_destination) bounds one next hop; `total` (queue.concurrency)
   * bounds all outbound deliveries, so one message to 500 domains can't open 500 connections.
   */
  constructor(options: { perDestination: number; total?: number }) {
    this.#perDestination = Math.max(1, options.perDestination)
    this.#total = Math.max(1, options.total ?? Number.MAX_SAFE_INTEGER)
  }

  /** Waits for a slot for this destination; call the returned function to free it. */
  async slot(destination: string): Promise<() => void> {
    while ((this.#active.get(destination) ?? 0) >= this.#perDestination || this.#inFlight >= this.#total) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    this.#active.set(destination, (this.#active.get(destination) ?? 0) + 1)
    this.#inFlight++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#inFlight--
      const n = (this.#active.get(destination) ?? 1) - 1
      if (n <= 0) this.#active.delete(destination)
      else this.#active.set(destination, n)
      // Wake every waiter: each re-checks its own destination's count (few waiters in practice).
      for (const wake of this.#waiters.splice(0)) wake()
    }
  }

  /** A live idle connection to `key` (host:port), reset and ready, or null. */
  async reuse(key: string): Promise<SmtpClient | null> {
    const list = this.#idle.get(key)
    while (list && list.length > 0) {
      const idle = list.pop()!
      clearTimeout(idle.timer)
      if (!idle.client.alive) continue
      try {
        await idle.client.reset()
        this.#uses.set(idle.client, idle.used)
        return idle.client
      } catch {
        idle.client.close()
      }
    }
    return null
  }

  /** Gives a connection back after a transaction; it is kept for reuse when still healthy. */
  release(key: string, client: SmtpClient, healthy: boolean): void {
    const used = (this.#uses.get(client) ?? 0) + 1
    if (!healthy || !client.alive || used >= MAX_MESSAGES_PER_CONNECTION) {
      client.close()
      return
    }
    const list = this.#idle.get(key) ?? []
    const idle: Idle = { client, key, used, timer: setTimeout(() => this.#drop(idle), IDLE_MS) }
    idle.timer.unref()
    list.push(idle)
    this.#idle.set(key, list)
  }

  #drop(idle: Idle): void {
    const list = this.#idle.get(idle.key)
    if (list) {
      const i = list.indexOf(idle)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) this.#idle.delete(idle.key)
    }
    idle.client.close()
  }

  closeAll(): void {
    for (const list of this.#idle.values()) for (const idle of list) { clearTimeout(idle.timer); idle.client.close() }
    this.#idle.clear()
  }
}

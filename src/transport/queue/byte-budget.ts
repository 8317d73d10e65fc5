/**
 * A semaphore counted in bytes: the queue reads spooled messages back into memory (local delivery
 * takes a `Uint8Array`, outbound sends one) only while their sizes fit the budget, so a burst of
 * 50 MiB messages on many connections waits its turn instead of exhausting the heap.
 */
export class ByteBudget {
  readonly limit: number
  #used = 0
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = []

  constructor(limit: number) {
    this.limit = limit
  }

  get used(): number {
    return this.#used
  }

  /**
   * Waits until `bytes` fit, takes them, and returns the function that gives them back (once).
   * A request above the whole limit is clamped to it: it runs alone rather than never.
   */
  async acquire(bytes: number): Promise<() => void> {
    const need = Math.min(Math.max(0, bytes), this.limit)
    if (this.#waiting.length === 0 && this.#used + need <= this.limit) this.#used += need
    else await new Promise<void>((grant) => this.#waiting.push({ bytes: need, grant }))
    let released = false
    return () => {
      if (released) return
      released = true
      this.#used -= need
      this.#drain()
    }
  }

  /** Grants waiters in order (first come, first served: a big message is not starved by small ones). */
  #drain(): void {
    while (this.#waiting.length > 0 && this.#used + this.#waiting[0].bytes <= this.limit) {
      const next = this.#waiting.shift()!
      this.#used += next.bytes
      next.grant()
    }
  }
}

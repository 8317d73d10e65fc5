/**
 * A counting semaphore over bytes: APPEND takes a message's size before it reads the message into
 * memory for the ingest and gives it back after, so however many clients append at once, the
 * messages being ingested hold at most `limit` bytes together. Waiters are served in order.
 */
export class ByteBudget {
  readonly limit: number
  #used = 0
  #queue: Array<{ bytes: number; grant: () => void }> = []

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`ByteBudget limit must be a positive integer, not ${limit}`)
    this.limit = limit
  }

  /** Bytes taken now. */
  get used(): number {
    return this.#used
  }

  /**
   * Resolves with a release function once `bytes` fit. A request above the whole budget takes the
   * whole budget (it waits until nothing else is held), so it cannot wait forever.
   */
  async acquire(bytes: number): Promise<() => void> {
    const want = Math.min(Math.max(0, bytes), this.limit)
    if (this.#queue.length === 0 && this.#used + want <= this.limit) this.#used += want
    else await new Promise<void>((grant) => this.#queue.push({ bytes: want, grant }))
    let released = false
    return () => {
      if (released) return
      released = true
      this.#used -= want
      this.#next()
    }
  }

  #next(): void {
    while (this.#queue.length && this.#used + this.#queue[0].bytes <= this.limit) {
      const head = this.#queue.shift()!
      this.#used += head.bytes
      head.grant()
    }
  }
}

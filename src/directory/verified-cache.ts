import { createHmac, randomBytes } from 'node:crypto'

/** Entries kept; the oldest go first. Bounds memory whatever clients send. */
const MAX_ENTRIES = 50_000
/** How long a verified password skips scrypt (Dovecot's auth_cache_ttl is 1 h; we stay shorter). */
const TTL_MS = 10 * 60_000

/**
 * Remembers recent successful password checks so that a client logging in again (mail clients
 * open several connections, phones reconnect constantly) doesn't pay a 30–100 ms scrypt each time.
 * The key is an HMAC, under a random per-process key, of the stored hash and the password: a
 * changed password (new stored hash) never matches an old entry, and no password is kept.
 */
export class VerifiedCache {
  readonly #key = randomBytes(32)
  readonly #entries = new Map<string, number>()
  /** Checks under way, so that a client opening ten connections at once pays one scrypt, not ten. */
  readonly #inflight = new Map<string, Promise<boolean>>()
  readonly #now: () => number

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now
  }

  /**
   * Whether `password` matches `storedHash`: from the cache, by joining a check already under way
   * for the same pair, or by running `check` (and remembering a success).
   */
  verify(storedHash: string, password: string, check: () => Promise<boolean>): Promise<boolean> {
    if (this.has(storedHash, password)) return Promise.resolve(true)
    const id = this.#id(storedHash, password)
    let pending = this.#inflight.get(id)
    if (!pending) {
      pending = check().then((ok) => {
        if (ok) this.add(storedHash, password)
        return ok
      }).finally(() => this.#inflight.delete(id))
      this.#inflight.set(id, pending)
    }
    return pending
  }

  has(storedHash: string, password: string): boolean {
    const id = this.#id(storedHash, password)
    const expires = this.#entries.get(id)
    if (expires === undefined) return false
    if (expires <= this.#now()) {
      this.#entries.delete(id)
      return false
    }
    return true
  }

  add(storedHash: string, password: string): void {
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(this.#id(storedHash, password), this.#now() + TTL_MS)
  }

  #id(storedHash: string, password: string): string {
    return createHmac('sha256', this.#key).update(storedHash).update('\0').update(password).digest('base64')
  }
}

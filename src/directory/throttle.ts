import { DirectoryError } from './errors.ts'

/**
 * Brute-force throttling of logins, per account and per client address. A few failures are free
 * (typos); after that each failure makes the next attempt wait longer; past a threshold the key is
 * locked for a while. Attempts during a wait or lock are refused without checking the password,
 * so guessing costs the attacker time and costs us nothing.
 */
export interface ThrottlePolicy {
  /** Failures allowed before any delay applies. */
  freeFailures: number
  /** First delay; doubles with each further failure up to maxDelayMs. */
  baseDelayMs: number
  maxDelayMs: number
  /** Failures that lock the key for lockMs. */
  lockAfter: number
  lockMs: number
}

/** One person mistyping: 3 free tries, then 1 s, 2 s, 4 s …; 10 failures lock for 15 minutes. */
export const ACCOUNT_POLICY: ThrottlePolicy = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 60_000, lockAfter: 10, lockMs: 15 * 60_000 }
/** One address may be a whole office behind NAT: more room before it slows down. */
export const REMOTE_POLICY: ThrottlePolicy = { freeFailures: 10, baseDelayMs: 1000, maxDelayMs: 60_000, lockAfter: 50, lockMs: 15 * 60_000 }
/** Entries kept at most; beyond it the least recently touched go (a spray of addresses can't grow memory). */
export const MAX_THROTTLE_ENTRIES = 100_000
/** A key with no failure for this long is forgotten. */
export const THROTTLE_FORGET_MS = 60 * 60_000

interface Entry {
  failures: number
  /** No attempt before this time (ms). */
  notBefore: number
  lastFailure: number
}

export class AuthThrottle {
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()
  readonly #account: ThrottlePolicy
  readonly #remote: ThrottlePolicy

  constructor(options: { now?: () => number; account?: ThrottlePolicy; remote?: ThrottlePolicy } = {}) {
    this.#now = options.now ?? Date.now
    this.#account = options.account ?? ACCOUNT_POLICY
    this.#remote = options.remote ?? REMOTE_POLICY
  }

  /** Throws DirectoryError 'throttled' (with retryAfterMs) when this attempt must wait. */
  check(account: string, remote: string): void {
    const now = this.#now()
    const wait = Math.max(this.#waitFor('a:' + account, now), this.#waitFor('r:' + remote, now))
    if (wait > 0) {
      throw new DirectoryError('throttled', `Too many failed logins; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait })
    }
  }

  failed(account: string, remote: string): void {
    const now = this.#now()
    this.#fail('a:' + account, this.#account, now)
    this.#fail('r:' + remote, this.#remote, now)
  }

  /** A good login clears the account's record (the address keeps its own: it may be spraying). */
  succeeded(account: string): void {
    this.#entries.delete('a:' + account)
  }

  get size(): number {
    return this.#entries.size
  }

  #waitFor(key: string, now: number): number {
    const entry = this.#entries.get(key)
    if (!entry) return 0
    if (now - entry.lastFailure > THROTTLE_FORGET_MS && entry.notBefore <= now) {
      this.#entries.delete(key)
      return 0
    }
    return Math.max(0, entry.notBefore - now)
  }

  #fail(key: string, policy: ThrottlePolicy, now: number): void {
    const previous = this.#entries.get(key)
    const failures = previous && now - previous.lastFailure <= THROTTLE_FORGET_MS ? previous.failures + 1 : 1
    let notBefore = now
    if (failures >= policy.lockAfter) notBefore = now + policy.lockMs
    else if (failures > policy.freeFailures) {
      notBefore = now + Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.freeFailures - 1))
    }
    // Re-insert so Map order is least-recently-failed first, then evict from the front.
    this.#entries.delete(key)
    this.#entries.set(key, { failures, notBefore, lastFailure: now })
    if (this.#entries.size > MAX_THROTTLE_ENTRIES) this.#evict(now)
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= MAX_THROTTLE_ENTRIES * 0.9) break
      // Oldest first; a live lock is dropped only when nothing older is left, which bounds memory.
      if (now - entry.lastFailure > THROTTLE_FORGET_MS || entry.notBefore <= now || this.#entries.size > MAX_THROTTLE_ENTRIES) {
        this.#entries.delete(key)
      }
    }
  }
}

/**
 * Retry schedule of a deferred recipient: the first retry after `queue.retry_first`, then doubling
 * up to `queue.retry_max` (RFC 5321 4.5.4.1: at least 30 minutes apart is the norm; the first is
 * sooner because most temporary failures, greylisting above all, clear within minutes).
 */
export interface BackoffOptions {
  first: number
  max: number
}

/** The delay (ms) before attempt number `attempts + 1`, after `attempts` failed ones (≥ 1). */
export function retryDelay(attempts: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30)
  return Math.min(options.max, options.first * 2 ** exponent)
}

/** When the next attempt is due; never past the message's expiry, so expiry is noticed on time. */
export function nextAttemptAt(now: number, attempts: number, expiresAt: number, options: BackoffOptions): number {
  return Math.min(now + retryDelay(attempts, options), Math.max(expiresAt, now))
}

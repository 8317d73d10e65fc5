import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nextAttemptAt, retryDelay } from './backoff.ts'

const options = { first: 5 * 60_000, max: 4 * 3_600_000 }

test('the first retry comes after retry_first, then the delay doubles up to retry_max', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => retryDelay(n, options) / 60_000), [5, 10, 20, 40, 80, 160, 240, 240, 240])
})

test('the next attempt never lands after the expiry time, so expiry is noticed on time', () => {
  const now = 1_000_000
  assert.equal(nextAttemptAt(now, 8, now + 60_000, options), now + 60_000)
  assert.equal(nextAttemptAt(now, 1, now + 86_400_000, options), now + 5 * 60_000)
  assert.equal(nextAttemptAt(now, 1, now - 1, options), now)
})

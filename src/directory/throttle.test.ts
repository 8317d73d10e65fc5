import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AuthThrottle, ACCOUNT_POLICY, MAX_THROTTLE_ENTRIES } from './throttle.ts'
import { DirectoryError } from './errors.ts'

function clock() {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

function throttledFor(throttle: AuthThrottle, account: string, remote: string): number {
  try {
    throttle.check(account, remote)
    return 0
  } catch (error) {
    assert.ok(error instanceof DirectoryError && error.kind === 'throttled')
    return error.retryAfterMs
  }
}

test('the first failures are free, then each failure doubles the wait', () => {
  const c = clock()
  const throttle = new AuthThrottle({ now: c.now })
  for (let i = 0; i < ACCOUNT_POLICY.freeFailures; i++) {
    assert.equal(throttledFor(throttle, 'alice@example.test', '192.0.2.1'), 0)
    throttle.failed('alice@example.test', '192.0.2.1')
  }
  assert.equal(throttledFor(throttle, 'alice@example.test', '192.0.2.1'), 0)
  throttle.failed('alice@example.test', '192.0.2.1')
  assert.equal(throttledFor(throttle, 'alice@example.test', '192.0.2.1'), 1000)
  c.advance(1000)
  throttle.failed('alice@example.test', '192.0.2.1')
  assert.equal(throttledFor(throttle, 'alice@example.test', '192.0.2.1'), 2000)
  // The account is throttled from any address.
  assert.equal(throttledFor(throttle, 'alice@example.test', '198.51.100.7'), 2000)
})

test('past the threshold the account is locked, then unlocks after the lock time', () => {
  const c = clock()
  const throttle = new AuthThrottle({ now: c.now })
  for (let i = 0; i < ACCOUNT_POLICY.lockAfter; i++) {
    c.advance(ACCOUNT_POLICY.maxDelayMs)
    throttle.failed('bob@example.test', `192.0.2.${i}`)
  }
  assert.equal(throttledFor(throttle, 'bob@example.test', '203.0.113.9'), ACCOUNT_POLICY.lockMs)
  c.advance(ACCOUNT_POLICY.lockMs)
  assert.equal(throttledFor(throttle, 'bob@example.test', '203.0.113.9'), 0)
})

test('success resets the account counter', () => {
  const c = clock()
  const throttle = new AuthThrottle({ now: c.now })
  for (let i = 0; i < 5; i++) throttle.failed('carol@example.test', '192.0.2.1')
  assert.ok(throttledFor(throttle, 'carol@example.test', '192.0.2.2') > 0)
  throttle.succeeded('carol@example.test')
  assert.equal(throttledFor(throttle, 'carol@example.test', '192.0.2.2'), 0)
})

test('one address spraying many accounts is throttled by address', () => {
  const c = clock()
  const throttle = new AuthThrottle({ now: c.now })
  for (let i = 0; i < 11; i++) throttle.failed(`user${i}@example.test`, '192.0.2.66')
  assert.ok(throttledFor(throttle, 'someone-new@example.test', '192.0.2.66') > 0)
  assert.equal(throttledFor(throttle, 'someone-new@example.test', '192.0.2.67'), 0)
})

test('memory stays bounded under a spray of distinct keys', () => {
  const c = clock()
  const throttle = new AuthThrottle({ now: c.now })
  for (let i = 0; i < MAX_THROTTLE_ENTRIES; i++) throttle.failed(`u${i}@example.test`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  assert.ok(throttle.size <= MAX_THROTTLE_ENTRIES, `size ${throttle.size}`)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VerifiedCache } from './verified-cache.ts'

test('a verified password is remembered for its stored hash only, until it expires', () => {
  let now = 0
  const cache = new VerifiedCache({ now: () => now })
  cache.add('$scrypt$hash-1', 'secret')
  assert.equal(cache.has('$scrypt$hash-1', 'secret'), true)
  assert.equal(cache.has('$scrypt$hash-1', 'Secret'), false, 'another password never matches')
  assert.equal(cache.has('$scrypt$hash-2', 'secret'), false, 'a changed stored hash (passwd) never matches')
  now += 11 * 60_000
  assert.equal(cache.has('$scrypt$hash-1', 'secret'), false, 'expired')
})

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

test('concurrent checks of the same password share one scrypt run', async () => {
  const cache = new VerifiedCache()
  let runs = 0
  const check = async () => {
    runs++
    await new Promise((r) => setTimeout(r, 20))
    return true
  }
  const results = await Promise.all(Array.from({ length: 10 }, () => cache.verify('$scrypt$h', 'pw', check)))
  assert.deepEqual(results, Array(10).fill(true))
  assert.equal(runs, 1)
  assert.equal(await cache.verify('$scrypt$h', 'pw', check), true)
  assert.equal(runs, 1, 'remembered after success')
  assert.equal(await cache.verify('$scrypt$h', 'wrong', async () => false), false)
  assert.equal(cache.has('$scrypt$h', 'wrong'), false, 'a failure is not remembered')
})

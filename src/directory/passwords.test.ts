import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hashPassword, needsRehash, verifyPassword } from './passwords.ts'

const FAST = { N: 1024, r: 8, p: 1 }

test('scrypt round trip: the right password verifies, a wrong one does not', async () => {
  const hash = await hashPassword('correct horse', FAST)
  assert.match(hash, /^\$scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
  assert.equal(await verifyPassword('correct horse', hash), true)
  assert.equal(await verifyPassword('correct horsE', hash), false)
  assert.equal(await verifyPassword('', hash), false)
})

test('two hashes of the same password differ (random salt)', async () => {
  assert.notEqual(await hashPassword('pw', FAST), await hashPassword('pw', FAST))
})

test('a hash made with other parameters still verifies and is flagged for rehash', async () => {
  const old = await hashPassword('secret', { N: 2048, r: 4, p: 1 })
  assert.equal(await verifyPassword('secret', old), true)
  assert.equal(needsRehash(old, FAST), true)
  assert.equal(needsRehash(await hashPassword('secret', FAST), FAST), false)
})

test('malformed or hostile hashes never verify', async () => {
  for (const stored of ['', 'plain', '$scrypt$N=1024,r=8,p=1$abc', '$scrypt$N=1073741824,r=8,p=1$c2FsdA==$' + 'A'.repeat(44)]) {
    assert.equal(await verifyPassword('x', stored), false, stored)
  }
})

test('NFC and NFD spellings of a password are the same password', async () => {
  const hash = await hashPassword('J\u00f6rg', FAST)
  assert.equal(await verifyPassword('Jo\u0308rg', hash), true)
})

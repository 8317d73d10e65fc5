import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeAddress, normalizeDomain, parseAddress, withoutSubaddress } from './addresses.ts'
import { DirectoryError } from './errors.ts'

test('addresses are case-insensitive: local part and domain are lower-cased', () => {
  assert.equal(normalizeAddress('Alice.Example@Example.TEST'), 'alice.example@example.test')
  assert.equal(normalizeAddress('  <bob@example.test> '), 'bob@example.test')
})

test('IDN domains become A-labels; UTF-8 local parts (SMTPUTF8) are kept, NFC', () => {
  assert.equal(normalizeDomain('Bücher.example'), 'xn--bcher-kva.example')
  assert.equal(normalizeAddress('JÖRG@bücher.example'), 'jörg@xn--bcher-kva.example')
  // NFD input ("o" + combining diaeresis) equals the NFC form.
  assert.equal(normalizeAddress('jo\u0308rg@example.test'), 'j\u00f6rg@example.test')
  assert.equal(normalizeDomain('example.test.'), 'example.test')
})

test('invalid addresses are refused with DirectoryError invalid', () => {
  const bad = ['', 'alice', '@example.test', 'alice@', 'a b@example.test', '"a@b"@example.test', 'alice@[127.0.0.1]',
    'alice@localhost', 'alice@-bad.test', 'alice@exa_mple.test', 'a..b@example.test', '.a@example.test',
    'x'.repeat(65) + '@example.test', 'alice@' + 'a'.repeat(64) + '.test', 'alice@example.123', 'a,b@example.test']
  for (const input of bad) {
    assert.throws(() => normalizeAddress(input), (error: unknown) => error instanceof DirectoryError && error.kind === 'invalid', input)
  }
})

test('a domain over 253 characters is refused', () => {
  const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.') + '.test'
  assert.throws(() => normalizeDomain(long), DirectoryError)
})

test('subaddress: alice+tag → alice; no tag → null', () => {
  assert.equal(withoutSubaddress('alice+tag'), 'alice')
  assert.equal(withoutSubaddress('alice'), null)
  assert.equal(withoutSubaddress('+tag'), null)
  assert.deepEqual(parseAddress('alice+news@example.test'), { local: 'alice+news', domain: 'example.test' })
})

test('property: normalisation never throws anything but DirectoryError, and is idempotent', async () => {
  const fc = (await import('fast-check')).default
  const part = fc.string({ unit: fc.constantFrom(...'aZ09.+-_@"[]<> \u00e9\u00fc\u0308\u4e2d!#\t'.split('')), maxLength: 30 })
  fc.assert(fc.property(part, part, (local, domain) => {
    let normalized: string
    try {
      normalized = normalizeAddress(`${local}@${domain}`)
    } catch (error) {
      assert.ok(error instanceof DirectoryError && error.kind === 'invalid', String(error))
      return
    }
    assert.equal(normalizeAddress(normalized), normalized)
    assert.equal(normalized, normalized.toLowerCase())
  }), { numRuns: 2000 })
})

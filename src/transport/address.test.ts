import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isRelayTrick, splitAddress } from './address.ts'

const TRICKS = [
  'user%remote.test@example.test', // RFC 1123 5.2.16 % hack
  'remote.test!user@example.test', // UUCP bang path
  'remote.test!user',
  '@relay.test:user@remote.test', // RFC 5321 3.6.1 source route
  '"user@remote.test"@example.test', // quoted local part hiding an @
  '"user"@example.test',
  'user@[192.0.2.1]', // address literal
  'user@[IPv6:2001:db8::1]',
]
for (const address of TRICKS) {
  test(`isRelayTrick flags ${address}`, () => assert.equal(isRelayTrick(address), true))
}

for (const address of ['alice@example.test', 'alice+tag@example.test', 'o\'brien@example.test', 'jörg@bücher.example']) {
  test(`isRelayTrick lets ${address} through`, () => assert.equal(isRelayTrick(address), false))
}

test('splitAddress splits at the last @ and lower-cases the domain', () => {
  assert.deepEqual(splitAddress('Alice@Example.TEST'), { local: 'Alice', domain: 'example.test' })
})

test('splitAddress refuses what is not a mailbox', () => {
  for (const bad of ['', 'alice', '@example.test', 'alice@', 'a b@example.test', 'alice@exa mple.test', 'a'.repeat(65) + '@example.test', 'alice@' + 'd'.repeat(256), 'al\x00ice@example.test']) {
    assert.equal(splitAddress(bad), null, JSON.stringify(bad))
  }
})

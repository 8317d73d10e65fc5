import { test } from 'node:test'
import assert from 'node:assert/strict'
import { trustedNetworks } from './trusted-networks.ts'

test('CIDRs and single addresses match, IPv4-mapped IPv6 included', () => {
  const trusted = trustedNetworks(['127.0.0.0/8', '10.1.2.3', '2001:db8::/32'])
  assert.equal(trusted('127.5.5.5'), true)
  assert.equal(trusted('::ffff:127.0.0.1'), true)
  assert.equal(trusted('10.1.2.3'), true)
  assert.equal(trusted('10.1.2.4'), false)
  assert.equal(trusted('2001:db8::1'), true)
  assert.equal(trusted('192.0.2.1'), false)
  assert.equal(trusted('not an ip'), false)
})

test('a bad entry throws naming it', () => {
  assert.throws(() => trustedNetworks(['10.0.0.0/33']), /10\.0\.0\.0\/33/)
  assert.throws(() => trustedNetworks(['example.test']), /example\.test/)
})

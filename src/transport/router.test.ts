import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRoutes, routeFor } from './router.ts'

test('a domain route, then "*", then direct MX on 25', () => {
  const table = parseRoutes({
    'Partner.TEST': { type: 'smarthost', host: 'relay.partner.test', port: 2525, tls: 'required', auth_user: 'u', auth_pass: 'p' },
    '*': { type: 'mx', port: 2526 },
  })
  assert.deepEqual(routeFor(table, 'partner.test'), { type: 'smarthost', host: 'relay.partner.test', port: 2525, tls: 'required', verify: true, auth: { user: 'u', pass: 'p' } })
  assert.equal(routeFor(table, 'other.test').port, 2526)
  assert.equal(routeFor(parseRoutes({}), 'other.test').port, 25)
})

test('a bad route names the domain and the field', () => {
  assert.throws(() => parseRoutes({ 'a.test': { type: 'carrier-pigeon' } }), /routes\."a\.test"\.type/)
  assert.throws(() => parseRoutes({ 'a.test': { type: 'smarthost' } }), /routes\."a\.test"\.host/)
  assert.throws(() => parseRoutes({ 'a.test': { port: 70000 } }), /routes\."a\.test"\.port/)
  assert.throws(() => parseRoutes({ 'a.test': { tls: 'maybe' } }), /routes\."a\.test"\.tls/)
})

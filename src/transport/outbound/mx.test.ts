import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DnsFailure, resolveMxHosts, type DnsResolver } from './mx.ts'

const fail = (code: string) => Object.assign(new Error(code), { code })

function resolver(mx: Record<string, Array<{ exchange: string; priority: number }> | string>, a: Record<string, string[]>): DnsResolver {
  return {
    async resolveMx(name) {
      const r = mx[name]
      if (r === undefined) throw fail('ENOTFOUND')
      if (typeof r === 'string') throw fail(r)
      return r
    },
    async resolve4(name) {
      if (!a[name]) throw fail('ENODATA')
      return a[name]
    },
    async resolve6() { throw fail('ENODATA') },
  }
}

test('MX hosts come in preference order with their addresses', async () => {
  const hosts = await resolveMxHosts(resolver({ 'x.test': [{ exchange: 'b.x.test', priority: 20 }, { exchange: 'a.x.test.', priority: 10 }] }, { 'a.x.test': ['192.0.2.1'], 'b.x.test': ['192.0.2.2'] }), 'x.test')
  assert.deepEqual(hosts, [{ name: 'a.x.test', addresses: ['192.0.2.1'] }, { name: 'b.x.test', addresses: ['192.0.2.2'] }])
})

test('no MX records: the domain itself (implicit MX, RFC 5321 5.1)', async () => {
  assert.deepEqual(await resolveMxHosts(resolver({ 'x.test': 'ENODATA' }, { 'x.test': ['192.0.2.9'] }), 'x.test'), [{ name: 'x.test', addresses: ['192.0.2.9'] }])
})

test('a null MX is a permanent 556 5.1.10 (RFC 7505)', async () => {
  for (const exchange of ['', '.']) {
    await assert.rejects(resolveMxHosts(resolver({ 'x.test': [{ exchange, priority: 0 }] }, {}), 'x.test'), (e: DnsFailure) => e.permanent && /^556 5\.1\.10/.test(e.reply))
  }
})

test('a domain that does not exist bounces; a DNS failure is retried', async () => {
  await assert.rejects(resolveMxHosts(resolver({}, {}), 'gone.test'), (e: DnsFailure) => e.permanent && /^550 5\.1\.2/.test(e.reply))
  await assert.rejects(resolveMxHosts(resolver({ 'x.test': 'ESERVFAIL' }, {}), 'x.test'), (e: DnsFailure) => !e.permanent && /^451 4\.4\.3/.test(e.reply))
  await assert.rejects(resolveMxHosts(resolver({ 'x.test': [{ exchange: 'mx.x.test', priority: 1 }] }, {}), 'x.test'), (e: DnsFailure) => !e.permanent)
})

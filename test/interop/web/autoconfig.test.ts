/**
 * Thunderbird autoconfig and Outlook Autodiscover over HTTP and HTTPS: element-by-element checks
 * of the answers, Outlook's exact request bodies, the documented error answers, and hostile input
 * (malformed XML, entity declarations, a 100 MB body) getting 4xx without harm.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { parseXml, child, type XmlElement } from '../../../src/web/xml.ts'
import { request } from './http-client.ts'

const ADVERTISED = {
  'listen.imaps': '127.0.0.1:993', 'listen.imap': '127.0.0.1:143',
  'listen.pop3s': '127.0.0.1:995', 'listen.pop3': '127.0.0.1:110',
  'listen.submissions': '127.0.0.1:465', 'listen.submission': '127.0.0.1:587',
}

/** Outlook 2016's POX request body, byte for byte as it sends it. */
function outlookBody(address: string | null, schema = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'): string {
  return '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
    (address === null ? '' : `<EMailAddress>${address}</EMailAddress>`) +
    `<AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request></Autodiscover>`
}

function texts(element: XmlElement): Record<string, string> {
  return Object.fromEntries(element.children.map((c) => [c.name, c.text]))
}

describe('autoconfig and Autodiscover', () => {
  let server: TestServer
  let http: string
  let https: string
  before(async () => {
    server = await startTestServer()
    http = `http://127.0.0.1:${server.ports['listen.http']}`
    https = `https://127.0.0.1:${server.ports['listen.https']}`
    // The test server listens on ephemeral ports; advertise the standard ones, as deployed.
    server.ctx.config = server.ctx.config.with(ADVERTISED)
  })
  after(async () => {
    await server?.stop()
  })

  for (const path of ['/mail/config-v1.1.xml?emailaddress=alice%40example.test', '/.well-known/autoconfig/mail/config-v1.1.xml']) {
    test(`Thunderbird autoconfig ${path.split('?')[0]} lists IMAP, POP3 and SMTP from the listeners`, async () => {
      const res = await request(https + path, { headers: { host: 'autoconfig.example.test' } })
      assert.equal(res.status, 200)
      assert.match(String(res.headers['content-type']), /xml/)
      const doc = parseXml(res.body)
      assert.equal(doc.name, 'clientConfig')
      assert.equal(doc.attributes.version, '1.1')
      const provider = child(doc, 'emailProvider')!
      assert.equal(provider.attributes.id, 'example.test')
      assert.equal(child(provider, 'domain')!.text, 'example.test')
      const servers = provider.children.filter((c) => c.name === 'incomingServer' || c.name === 'outgoingServer')
      assert.deepEqual(servers.map((s) => [s.name, s.attributes.type, texts(s)]), [
        ['incomingServer', 'imap', { hostname: 'mail.example.test', port: '993', socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
        ['incomingServer', 'imap', { hostname: 'mail.example.test', port: '143', socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
        ['incomingServer', 'pop3', { hostname: 'mail.example.test', port: '995', socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
        ['incomingServer', 'pop3', { hostname: 'mail.example.test', port: '110', socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
        ['outgoingServer', 'smtp', { hostname: 'mail.example.test', port: '465', socketType: 'SSL', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
        ['outgoingServer', 'smtp', { hostname: 'mail.example.test', port: '587', socketType: 'STARTTLS', authentication: 'password-cleartext', username: '%EMAILADDRESS%' }],
      ])
    })
  }

  test('a listener turned off is not advertised', async () => {
    const saved = server.ctx.config
    server.ctx.config = saved.with({ 'listen.pop3': '', 'listen.pop3s': '', 'listen.imap': '' })
    try {
      const doc = parseXml((await request(http + '/mail/config-v1.1.xml?emailaddress=a%40example.test')).body)
      const types = child(doc, 'emailProvider')!.children.filter((c) => c.name === 'incomingServer').map((c) => `${c.attributes.type}:${texts(c).port}`)
      assert.deepEqual(types, ['imap:993'])
    } finally {
      server.ctx.config = saved
    }
  })

  for (const withAddress of [true, false]) {
    test(`Autodiscover POX ${withAddress ? 'with' : 'without'} EMailAddress answers IMAP/POP3/SMTP Protocol blocks`, async () => {
      const res = await request(http + '/autodiscover/autodiscover.xml', {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: outlookBody(withAddress ? 'alice@example.test' : null),
      })
      assert.equal(res.status, 200)
      const doc = parseXml(res.body)
      assert.equal(doc.name, 'Autodiscover')
      assert.equal(doc.ns, 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006')
      const response = child(doc, 'Response')!
      assert.equal(response.ns, 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a')
      const account = child(response, 'Account')!
      assert.equal(child(account, 'AccountType')!.text, 'email')
      assert.equal(child(account, 'Action')!.text, 'settings')
      const protocols = account.children.filter((c) => c.name === 'Protocol').map(texts)
      assert.deepEqual(protocols.map((p) => [p.Type, p.Server, p.Port, p.SSL, p.Encryption ?? '', p.AuthRequired, p.SPA, p.LoginName ?? null]), [
        ['IMAP', 'mail.example.test', '993', 'on', '', 'on', 'off', withAddress ? 'alice@example.test' : null],
        ['IMAP', 'mail.example.test', '143', 'off', 'TLS', 'on', 'off', withAddress ? 'alice@example.test' : null],
        ['POP3', 'mail.example.test', '995', 'on', '', 'on', 'off', withAddress ? 'alice@example.test' : null],
        ['POP3', 'mail.example.test', '110', 'off', 'TLS', 'on', 'off', withAddress ? 'alice@example.test' : null],
        ['SMTP', 'mail.example.test', '465', 'on', '', 'on', 'off', withAddress ? 'alice@example.test' : null],
        ['SMTP', 'mail.example.test', '587', 'off', 'TLS', 'on', 'off', withAddress ? 'alice@example.test' : null],
      ])
    })
  }

  test('Autodiscover at /Autodiscover/Autodiscover.xml over HTTPS', async () => {
    const res = await request(https + '/Autodiscover/Autodiscover.xml', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: outlookBody('bob@example.test') })
    assert.equal(res.status, 200)
    assert.ok(child(child(parseXml(res.body), 'Response')!, 'Account'))
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000')
  })

  test('a request for the mobilesync schema gets the documented 601 error; a request without one gets 600', async () => {
    const mobilesync = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006'
    const res = await request(http + '/autodiscover/autodiscover.xml', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: outlookBody('a@example.test', mobilesync) })
    assert.equal(res.status, 200)
    const response = child(parseXml(res.body), 'Response')!
    assert.equal(response.ns, mobilesync)
    const error = child(response, 'Error')!
    assert.match(error.attributes.Time, /^\d\d:\d\d:\d\d/)
    assert.match(error.attributes.Id, /^\d+$/)
    assert.equal(child(error, 'ErrorCode')!.text, '601')
    assert.equal(child(error, 'Message')!.text, 'Provider is not available')

    const invalid = await request(http + '/autodiscover/autodiscover.xml', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<Autodiscover xmlns="urn:other"><Request/></Autodiscover>' })
    assert.equal(invalid.status, 200)
    const error600 = child(child(parseXml(invalid.body), 'Response')!, 'Error')!
    assert.equal(child(error600, 'ErrorCode')!.text, '600')
    assert.equal(child(error600, 'Message')!.text, 'Invalid Request')
  })

  const HOSTILE: Array<[string, string, string?]> = [
    ['malformed XML', '<Autodiscover><Request></Autodiscover>'],
    ['an empty body', ''],
    ['an entity declaration (billion laughs)', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Autodiscover>&lol2;</Autodiscover>'],
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'],
    ['JSON with a JSON content type', '{"a":1}', 'application/json'],
    ['deep nesting', '<a>'.repeat(5000) + '</a>'.repeat(5000)],
  ]
  for (const [what, body, type] of HOSTILE) {
    test(`Autodiscover with ${what} gets 400, and the server goes on`, async () => {
      const res = await request(http + '/autodiscover/autodiscover.xml', { method: 'POST', headers: { 'content-type': type ?? 'text/xml' }, body })
      assert.equal(res.status, 400)
      assert.doesNotMatch(res.body, /passwd|root:|at .*\.ts/)
      assert.equal((await request(http + '/healthz')).status, 200)
    })
  }

  test('a declared 100 MB body gets 413 without being read', async () => {
    const port = server.ports['listen.http']
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 104857600\r\n\r\n')
        socket.write('<a>'.repeat(1000)) // a little of it; the rest never comes
      })
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1')
        if (data.includes('\r\n\r\n')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', reject)
    })
    assert.match(answer, /^HTTP\/1\.1 413 /)
    assert.match(answer, /x-content-type-options: nosniff/i)
  })

  test('a chunked body growing past the limit is cut with 413', async () => {
    const port = server.ports['listen.http']
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n')
        const chunk = Buffer.alloc(64 * 1024, 'a')
        let sent = 0
        const pump = () => {
          while (sent < 4 * 1024 * 1024 && !socket.destroyed) {
            sent += chunk.length
            if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`)) return socket.once('drain', pump)
          }
        }
        pump()
      })
      let data = ''
      socket.on('data', (c) => {
        data += c.toString('latin1')
        if (data.includes('\r\n\r\n')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', (e) => (data ? resolve(data) : reject(e)))
    })
    assert.match(answer, /^HTTP\/1\.1 413 /)
  })
})

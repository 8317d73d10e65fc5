/**
 * Health, readiness, Prometheus metrics (values move when mail is delivered), the Apple
 * .mobileconfig behind Basic auth (parsed by Python's plistlib), security headers and errors.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { parsePrometheus, request } from './http-client.ts'

const SECURITY_HEADERS = ['x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy']

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
}

function plist(xml: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], (error, stdout, stderr) => {
      if (error) reject(new Error(stderr || error.message))
      else resolve(JSON.parse(stdout))
    })
    child.stdin!.end(xml)
  })
}

describe('health, metrics, mobileconfig', () => {
  let server: TestServer
  let http: string
  let https: string
  before(async () => {
    server = await startTestServer()
    http = `http://127.0.0.1:${server.ports['listen.http']}`
    https = `https://127.0.0.1:${server.ports['listen.https']}`
  })
  after(async () => {
    await server?.stop()
  })

  test('/healthz and /readyz answer 200 with the database checked', async () => {
    const health = await request(http + '/healthz')
    assert.equal(health.status, 200)
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' })
    const ready = await request(http + '/readyz')
    assert.equal(ready.status, 200, ready.body)
    assert.equal(JSON.parse(ready.body).checks.database, 'ok')
  })

  test('/readyz reports a configured listener that does not accept connections as not ready', async () => {
    const saved = server.ctx.config
    // A port nothing listens on (ours, just closed).
    const { createServer } = await import('node:net')
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as { port: number }).port
    await new Promise<void>((r) => probe.close(() => r()))
    server.ctx.config = saved.with({ 'listen.pop3': `127.0.0.1:${port}` })
    try {
      const ready = await request(http + '/readyz')
      assert.equal(ready.status, 503)
      assert.equal(JSON.parse(ready.body).checks['listen.pop3'], 'not accepting connections')
    } finally {
      server.ctx.config = saved
    }
  })

  test('/metrics is Prometheus text whose store gauges move when a message is delivered', async () => {
    const principal = await server.addUser('metrics@example.test', 'pw')
    const before = parsePrometheus((await request(http + '/metrics')).body)
    assert.ok(before.has('tidings_store_messages'), 'store gauge present')
    const raw = Buffer.from('From: a@example.test\r\nTo: metrics@example.test\r\nSubject: m\r\n\r\nhello\r\n')
    await server.ctx.store.emails.deliver([principal.id], { raw })
    const res = await request(http + '/metrics')
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const after = parsePrometheus(res.body)
    assert.equal(after.get('tidings_store_messages'), before.get('tidings_store_messages')! + 1)
    assert.equal(after.get('tidings_store_bytes'), before.get('tidings_store_bytes')! + raw.length)
    assert.equal(after.get('tidings_store_accounts'), before.get('tidings_store_accounts'))
    assert.ok((after.get('tidings_http_requests_total{route="/metrics",status="2xx"}') ?? 0) >= 1)
  })

  test('/metrics counts POP3 connections and logins', async () => {
    const { LineClient } = await import('../../support/line-client.ts')
    await server.addUser('counted@example.test', 'pw')
    const key = 'tidings_logins_total{protocol="pop3",result="success"}'
    const before = parsePrometheus((await request(http + '/metrics')).body).get(key) ?? 0
    const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    await client.readLine()
    client.send('USER counted@example.test\r\nPASS pw\r\nQUIT\r\n')
    for (let i = 0; i < 3; i++) await client.readLine()
    client.close()
    const after = parsePrometheus((await request(http + '/metrics')).body)
    assert.equal(after.get(key), before + 1)
    assert.ok((after.get('tidings_connections_total{protocol="pop3"}') ?? 0) >= 1)
  })

  test('mobileconfig over HTTPS with Basic auth is a plist for the user\'s IMAP and SMTP account', async () => {
    await server.addUser('ios@example.test', 'apple pw')
    const saved = server.ctx.config
    server.ctx.config = saved.with({ 'listen.imaps': '127.0.0.1:993', 'listen.submissions': '127.0.0.1:465' })
    try {
      const res = await request(https + '/mobileconfig', { headers: { authorization: basic('ios@example.test', 'apple pw') } })
      assert.equal(res.status, 200, res.body)
      assert.equal(res.headers['content-type'], 'application/x-apple-aspen-config; charset=utf-8')
      const profile = await plist(res.body)
      assert.equal(profile.PayloadType, 'Configuration')
      assert.equal(profile.PayloadVersion, 1)
      assert.match(profile.PayloadUUID, /^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/)
      const [mail] = profile.PayloadContent
      assert.equal(mail.PayloadType, 'com.apple.mail.managed')
      assert.equal(mail.EmailAccountType, 'EmailTypeIMAP')
      assert.equal(mail.EmailAddress, 'ios@example.test')
      assert.equal(mail.IncomingMailServerHostName, 'mail.example.test')
      assert.equal(mail.IncomingMailServerPortNumber, 993)
      assert.equal(mail.IncomingMailServerUseSSL, true)
      assert.equal(mail.IncomingMailServerUsername, 'ios@example.test')
      assert.equal(mail.OutgoingMailServerPortNumber, 465)
      assert.equal(mail.OutgoingPasswordSameAsIncomingPassword, true)
      assert.ok(!res.body.includes('apple pw'), 'the password is not in the profile')
    } finally {
      server.ctx.config = saved
    }
  })

  test('mobileconfig: no credentials → 401 with a challenge; wrong ones → 401; plain HTTP → 403', async () => {
    const none = await request(https + '/mobileconfig')
    assert.equal(none.status, 401)
    assert.match(String(none.headers['www-authenticate']), /^Basic realm=/)
    const wrong = await request(https + '/mobileconfig', { headers: { authorization: basic('ios@example.test', 'nope') } })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body, 'Authentication failed\n')
    const garbage = await request(https + '/mobileconfig', { headers: { authorization: 'Basic !!!' } })
    assert.equal(garbage.status, 401)
    const plain = await request(http + '/mobileconfig', { headers: { authorization: basic('ios@example.test', 'apple pw') } })
    assert.equal(plain.status, 403)
  })

  test('HTTPS picks up a reloaded certificate for the next connection', async () => {
    const { generate } = await import('selfsigned')
    const { connect } = await import('node:tls')
    const pems = await generate([{ name: 'commonName', value: 'reloaded.example.test' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' })
    const peerName = () => new Promise<string>((resolve, reject) => {
      const socket = connect({ port: server.ports['listen.https'], host: '127.0.0.1', rejectUnauthorized: false }, () => {
        resolve(String(socket.getPeerCertificate().subject?.CN))
        socket.destroy()
      })
      socket.on('error', reject)
    })
    const saved = server.ctx.tls
    assert.equal(await peerName(), 'mail.example.test')
    const material = { cert: pems.cert, key: pems.private }
    server.ctx.tls = { ...saved, current: () => material }
    try {
      assert.equal(await peerName(), 'reloaded.example.test')
    } finally {
      server.ctx.tls = saved
    }
  })

  test('every response carries the security headers; errors have no internals', async () => {
    const responses = [
      await request(http + '/healthz'),
      await request(http + '/no/such/page'),
      await request(https + '/metrics'),
      await request(http + '/autodiscover/autodiscover.xml', { method: 'POST', body: '<' }),
      await request(http + '/autodiscover/autodiscover.xml'),
    ]
    assert.deepEqual(responses.map((r) => r.status), [200, 404, 200, 400, 404])
    for (const res of responses) {
      for (const name of SECURITY_HEADERS) assert.ok(res.headers[name], `${name} on ${res.status}`)
      assert.equal(res.headers['x-content-type-options'], 'nosniff')
      assert.doesNotMatch(res.body, /\.ts:\d+|node_modules/)
    }
    assert.equal(responses[0].headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP')
    assert.equal(responses[2].headers['strict-transport-security'], 'max-age=31536000')
  })
})

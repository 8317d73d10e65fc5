/**
 * Outbound delivery against a second SMTP server on loopback with injected DNS: delivery,
 * retry after 4xx, bounce + RFC 3464 DSN after 5xx, null MX, implicit MX, and no bounce loops.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import nodemailer from 'nodemailer'
import { simpleParser } from 'mailparser'
import type { Principal } from '../../../src/directory/directory.ts'
import { sql } from '../../../src/db/engine.ts'
import { queryEvents } from '../../../src/transport/tracking.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { startSink, stubResolver, type Sink } from './sink.ts'

let f: SmtpFixture
let sink: Sink
let alice: Principal

before(async () => {
  sink = await startSink()
  f = await startSmtpFixture({
    config: { 'queue.retry_first': '200ms', 'queue.retry_max': '1s' },
    transport: { resolver: stubResolver(), routes: { '*': { type: 'mx', port: sink.port }, 'internal.test': { type: 'local' } }, outboundTimeoutMs: 5_000 },
  })
  alice = await f.addUser('alice@example.test', 'alice-password-1')
})
after(async () => {
  await f?.stop()
  await sink?.close()
})

async function submit(to: string | string[], subject: string, extra: Record<string, unknown> = {}): Promise<string> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: f.ports.submission, secure: false, requireTLS: true,
    auth: { user: 'alice@example.test', pass: 'alice-password-1' }, tls: { rejectUnauthorized: false },
  })
  try {
    const info = await transport.sendMail({ from: 'alice@example.test', to, subject, text: `body of ${subject}\n`, ...extra })
    return info.messageId
  } finally {
    transport.close()
  }
}

async function queueEmpty(): Promise<boolean> {
  const row = await f.data.engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM queue_messages`)
  return Number(row?.n) === 0
}

async function dsnFor(subject: string) {
  return f.until(async () => {
    for (const m of await f.inbox(alice)) {
      if (!m.raw.toString('latin1').includes(`Subject: ${subject}`)) continue
      if (/multipart\/report/i.test(m.raw.toString('latin1'))) return m
    }
    return undefined
  }, `a DSN about "${subject}"`)
}

test('a submitted message reaches the remote MX (lowest preference first) over STARTTLS', async () => {
  const messageId = await submit('bob@remote.test', 'outbound one')
  const got = await f.until(async () => sink.messages.find((m) => m.raw.includes('outbound one')), 'the sink to receive it')
  assert.deepEqual(got.to, ['bob@remote.test'])
  assert.equal(got.from, 'alice@example.test')
  assert.equal(got.secure, true, 'STARTTLS was used because it was offered')
  assert.match(got.raw.toString(), /^Received: from /)
  await f.until(queueEmpty, 'the queue to empty')
  const events = await queryEvents(f.data.engine, { messageId })
  assert.deepEqual(events.map((e) => e.event), ['received', 'delivered'])
  assert.match(events[1].detail ?? '', /^250/)
})

test('one connection carries several messages to the same MX (reuse)', async () => {
  const before = sink.connections()
  for (let i = 0; i < 3; i++) {
    await submit(`reuse${i}@remote.test`, `reuse ${i}`)
    await f.until(async () => sink.messages.find((m) => m.raw.includes(`reuse ${i}`)), `message ${i}`)
  }
  // At most one new connection (none when the previous test's idle one was still open).
  assert.ok(sink.connections() - before <= 1, `${sink.connections() - before} new connections for 3 messages`)
})

test('a 4xx is retried (queue.retry_first) and then delivered', async () => {
  const messageId = await submit('defer1-carol@remote.test', 'retry me')
  await f.until(async () => sink.messages.find((m) => m.raw.includes('retry me')), 'the retry to be delivered')
  assert.equal(sink.deferrals.get('defer1-carol@remote.test'), 1)
  await f.until(queueEmpty, 'the queue to empty')
  const events = await queryEvents(f.data.engine, { messageId })
  assert.deepEqual(events.map((e) => e.event), ['received', 'deferred', 'delivered'])
  assert.match(events[1].detail ?? '', /^451 4\.2\.0/)
})

test('a 5xx bounces: an RFC 3464 DSN lands in the sender\'s Inbox', async () => {
  await submit(['reject-dave@remote.test', 'erin@remote.test'], 'bounce me')
  const dsn = await dsnFor('bounce me')
  const parsed = await simpleParser(dsn.raw)
  assert.equal(parsed.headers.get('content-type') && (parsed.headers.get('content-type') as { value: string }).value, 'multipart/report')
  assert.equal((parsed.headers.get('content-type') as { params: Record<string, string> }).params['report-type'], 'delivery-status')
  const raw = dsn.raw.toString('latin1')
  assert.match(raw, /Content-Type: message\/delivery-status/)
  assert.match(raw, /Final-Recipient: rfc822; reject-dave@remote.test/)
  assert.match(raw, /Action: failed/)
  assert.match(raw, /Status: 5\.1\.1/)
  assert.match(raw, /Remote-MTA: dns; mx1.remote.test/)
  assert.match(raw, /Diagnostic-Code: smtp; 550 5\.1\.1/)
  assert.doesNotMatch(raw, /Final-Recipient: rfc822; erin/, 'the delivered recipient is not reported')
  assert.match(raw, /Content-Type: message\/rfc822/)
  assert.match(parsed.from?.text ?? '', /MAILER-DAEMON@mail.example.test/)
  assert.ok(sink.messages.some((m) => m.to.includes('erin@remote.test') && m.raw.includes('bounce me')))
})

test('RET=HDRS and NOTIFY/ENVID/ORCPT are honoured and passed on', async () => {
  await submit('reject-frank@remote.test', 'headers only', {
    dsn: { id: 'envelope-42', return: 'headers', notify: ['failure', 'delay'], recipient: 'frank-original@remote.test' },
  })
  const dsn = await dsnFor('headers only')
  const raw = dsn.raw.toString('latin1')
  assert.match(raw, /Content-Type: text\/rfc822-headers/)
  assert.doesNotMatch(raw, /body of headers only/)
  assert.match(raw, /Original-Envelope-Id: envelope-42/)
  assert.match(raw, /Original-Recipient: rfc822; frank-original@remote.test/)
})

test('NOTIFY=NEVER suppresses the DSN', async () => {
  const messageId = await submit('reject-gina@remote.test', 'never tell', { dsn: { notify: 'never' } })
  await f.until(async () => (await queryEvents(f.data.engine, { messageId })).some((e) => e.event === 'bounced'), 'the bounce')
  await f.until(queueEmpty, 'the queue to empty')
  assert.ok(!(await f.inbox(alice)).some((m) => m.raw.includes('never tell')))
})

test('a null MX (RFC 7505) bounces at once with 5.1.10', async () => {
  await submit('someone@nullmx.test', 'null mx')
  const dsn = await dsnFor('null mx')
  assert.match(dsn.raw.toString(), /Status: 5\.1\.10/)
  assert.equal(sink.messages.filter((m) => m.raw.includes('null mx')).length, 0)
})

test('a domain routed "local" never leaves the server: unknown there, so it bounces', async () => {
  await submit('nobody@internal.test', 'stay inside')
  const dsn = await dsnFor('stay inside')
  assert.match(dsn.raw.toString(), /Status: 5\.1\.1/)
  assert.match(dsn.raw.toString(), /delivered only on this server/)
  assert.equal(sink.messages.filter((m) => m.raw.includes('stay inside')).length, 0)
})

test('a domain without MX is reached through its A record (implicit MX)', async () => {
  await submit('heidi@amx.test', 'implicit mx')
  const got = await f.until(async () => sink.messages.find((m) => m.raw.includes('implicit mx')), 'delivery via A')
  assert.deepEqual(got.to, ['heidi@amx.test'])
})

test('a bounce to a remote sender goes from the null sender, and its own bounce is dropped (no loop)', async () => {
  await f.data.admin.addAlias('forward@example.test', 'reject-ivan@remote.test')
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.mx, secure: false, tls: { rejectUnauthorized: false } })
  // The sender is refused by the sink as a recipient too (reject*), so the DSN itself bounces.
  await t.sendMail({ envelope: { from: 'reject-origin@remote.test', to: 'forward@example.test' }, from: 'x@remote.test', to: 'forward@example.test', subject: 'loop test', text: 'hi' })
  t.close()
  await f.until(async () => (await queryEvents(f.data.engine, { from: '' })).some((e) => e.event === 'bounced' && e.recipient === 'reject-origin@remote.test'), 'the DSN to bounce')
  await f.until(queueEmpty, 'the queue to empty')
  const dsnEvents = await queryEvents(f.data.engine, { from: '' })
  assert.equal(dsnEvents.filter((e) => e.event === 'received').length >= 1, true)
  // Nothing was queued in answer to the failed DSN.
  assert.ok(await queueEmpty())
})

test('a smarthost route: required TLS and AUTH to the relay', async () => {
  const relay = await startSink({ auth: { user: 'relay-user', pass: 'relay-pass' } })
  const other = await startSmtpFixture({
    transport: { resolver: stubResolver(), routes: { '*': { type: 'smarthost', host: '127.0.0.1', port: relay.port, tls: 'required', verify: false, auth_user: 'relay-user', auth_pass: 'relay-pass' } } },
  })
  try {
    await other.addUser('alice@example.test', 'alice-password-1')
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: other.ports.submissions, secure: true, auth: { user: 'alice@example.test', pass: 'alice-password-1' }, tls: { rejectUnauthorized: false } })
    await t.sendMail({ from: 'alice@example.test', to: 'kim@anywhere.test', subject: 'via smarthost', text: 'x' })
    t.close()
    const got = await other.until(async () => relay.messages.find((m) => m.raw.includes('via smarthost')), 'the relay to receive it')
    assert.equal(got.secure, true)
    assert.equal(got.user, 'relay-user')
  } finally {
    await other.stop()
    await relay.close()
  }
})

test('a host whose SIZE is smaller than the message: bounced at once (552 5.3.4), not retried', async () => {
  const small = await startSink({ size: 200 })
  const other = await startSmtpFixture({ transport: { resolver: stubResolver(), routes: { '*': { type: 'mx', port: small.port } } } })
  try {
    const sender = await other.addUser('alice@example.test', 'alice-password-1')
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: other.ports.submissions, secure: true, auth: { user: 'alice@example.test', pass: 'alice-password-1' }, tls: { rejectUnauthorized: false } })
    await t.sendMail({ from: 'alice@example.test', to: 'lee@remote.test', subject: 'too big for them', text: 'x'.repeat(1000) })
    t.close()
    const dsn = await other.until(async () => (await other.inbox(sender)).find((m) => /multipart\/report/.test(m.raw.toString())), 'the DSN')
    assert.match(dsn.raw.toString(), /Status: 5\.3\.4/)
    assert.equal(small.messages.length, 0)
  } finally {
    await other.stop()
    await small.close()
  }
})

test('metrics counted received, delivered, deferred and bounced', async () => {
  const text = await f.ctx.metrics.registry.metrics()
  for (const outcome of ['received', 'delivered', 'deferred', 'bounced']) assert.match(text, new RegExp(`tidings_messages_total\\{outcome="${outcome}"\\} [1-9]`))
})

/**
 * A recipient that keeps deferring: a delay DSN after `queue.delay_warning`, then an expiry DSN
 * once `queue.lifetime` is over, and the message leaves the queue.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import nodemailer from 'nodemailer'
import { simpleParser } from 'mailparser'
import { sql } from '../../../src/db/engine.ts'
import { queryEvents } from '../../../src/transport/tracking.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { startSink, stubResolver, type Sink } from './sink.ts'

let f: SmtpFixture
let sink: Sink

before(async () => {
  sink = await startSink()
  f = await startSmtpFixture({
    config: { 'queue.retry_first': '100ms', 'queue.retry_max': '300ms', 'queue.lifetime': '2s', 'queue.delay_warning': '400ms' },
    transport: { resolver: stubResolver(), routes: { 'remote.test': { type: 'mx', port: sink.port } }, outboundTimeoutMs: 5_000 },
  })
})
after(async () => {
  await f?.stop()
  await sink?.close()
})

test('a delay warning, then an expiry DSN, then the queue is empty', async () => {
  const alice = await f.addUser('alice@example.test', 'alice-password-1')
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: f.ports.submissions, secure: true,
    auth: { user: 'alice@example.test', pass: 'alice-password-1' }, tls: { rejectUnauthorized: false },
  })
  const info = await transport.sendMail({ from: 'alice@example.test', to: 'always-defer@remote.test', subject: 'will expire', text: 'x' })
  transport.close()
  const reports = await f.until(async () => {
    const dsns = (await f.inbox(alice)).filter((m) => /multipart\/report/.test(m.raw.toString('latin1')))
    return dsns.length >= 2 && dsns
  }, 'two DSNs', 30_000)
  const [delay, expiry] = reports.map((m) => m.raw.toString('latin1'))
  assert.match(delay, /Action: delayed/)
  assert.match(delay, /Will-Retry-Until: /)
  assert.match(delay, /Status: 4\.2\.0/)
  assert.match(expiry, /Action: failed/)
  assert.match(expiry, /gave up/)
  const parsed = await simpleParser(reports[1].raw)
  assert.match(parsed.subject ?? '', /Undelivered/)
  const events = (await queryEvents(f.data.engine, { messageId: info.messageId })).map((e) => e.event)
  assert.equal(events[0], 'received')
  assert.ok(events.includes('deferred'))
  assert.equal(events.filter((e) => e === 'delayed').length, 1, 'one delay warning, however many retries')
  assert.equal(events.at(-1), 'expired')
  const row = await f.data.engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM queue_messages WHERE origin != 'dsn'`)
  assert.equal(Number(row?.n), 0)
  assert.ok(sink.deferrals.get('always-defer@remote.test')! >= 2)
})

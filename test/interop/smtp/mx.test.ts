/**
 * Inbound mail on the MX from clients we didn't write (Python smtplib, swaks, nodemailer):
 * the message lands in the Inbox byte-identical apart from our Received header; aliases and
 * groups expand; DSN parameters are stored; tracking records it.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import nodemailer from 'nodemailer'
import type { Principal } from '../../../src/directory/directory.ts'
import { queryEvents } from '../../../src/transport/tracking.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'

const run = promisify(execFile)
let f: SmtpFixture
let alice: Principal
let bob: Principal

before(async () => {
  f = await startSmtpFixture()
  alice = await f.addUser('alice@example.test', 'alice-password-1')
  bob = await f.addUser('bob@example.test', 'bob-password-1')
})
after(async () => { await f?.stop() })

/** The stored message minus exactly one leading Received header (ours). */
function withoutOurTrace(raw: Buffer): Buffer {
  const text = raw.toString('latin1')
  const m = /^Received: from [^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*/.exec(text)
  assert.ok(m, 'the message starts with our Received header')
  assert.match(m[0], /by mail\.example\.test \(Tidings\) with E?SMTPS?/)
  return raw.subarray(m[0].length)
}

async function newest(p: Principal, marker: string): Promise<Buffer> {
  const found = await f.until(async () => (await f.inbox(p)).find((m) => m.raw.includes(marker)), `"${marker}" in the inbox`)
  return found.raw
}

const MESSAGE = [
  'From: Sender <sender@remote.test>',
  'To: Alice <alice@example.test>',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from python',
  'Date: Mon, 23 Nov 2026 10:00:00 +0000',
  'Message-ID: <python-1@remote.test>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Grüße — 8-bit body line',
  '..a line that starts with a dot',
  '',
].join('\r\n')

test('Python smtplib → MX: byte-identical in the Inbox apart from the Received header', async () => {
  const script = `
import smtplib, sys
msg = sys.stdin.buffer.read()
s = smtplib.SMTP('127.0.0.1', ${f.ports.mx}, local_hostname='client.remote.test')
s.ehlo()
assert s.has_extn('8bitmime') and s.has_extn('pipelining') and s.has_extn('dsn') and s.has_extn('enhancedstatuscodes') and s.has_extn('smtputf8') and s.has_extn('starttls')
s.sendmail('sender@remote.test', ['alice@example.test'], msg, mail_options=['BODY=8BITMIME'])
s.quit()
`
  const child = execFile('python3', ['-c', script])
  const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`python exit ${code}`)))))
  child.stdin!.end(Buffer.from(MESSAGE.replace('..a line', '.a line'), 'utf8'))
  await done
  const raw = await newest(alice, 'python-1@remote.test')
  assert.equal(withoutOurTrace(raw).toString('utf8'), MESSAGE.replace('..a line', '.a line'))
})

test('Python smtplib → MX with STARTTLS: the Received header names the TLS version and cipher', async () => {
  const script = `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', ${f.ports.mx}, local_hostname='client.remote.test')
s.starttls(context=ctx)
s.sendmail('sender@remote.test', ['bob@example.test'], b'Subject: tls\\r\\nMessage-ID: <python-tls@remote.test>\\r\\n\\r\\nsecure\\r\\n')
s.quit()
`
  await run('python3', ['-c', script])
  const raw = (await newest(bob, 'python-tls@remote.test')).toString()
  assert.match(raw, /with ESMTPS \(TLSv1\.[23] cipher [A-Z0-9_-]+\)/)
})

test('swaks → MX: delivered, and the 250 names the queue id tracking knows', async () => {
  const { stdout } = await run('swaks', [
    '--server', '127.0.0.1', '--port', String(f.ports.mx), '--helo', 'client.remote.test',
    '--from', 'swaks@remote.test', '--to', 'alice@example.test',
    '--header', 'Subject: from swaks', '--header', 'Message-Id: <swaks-1@remote.test>', '--body', 'swaks body',
  ])
  const m = /250 2\.0\.0 Ok: queued as (\S+)/.exec(stdout)
  assert.ok(m, stdout)
  await newest(alice, 'swaks-1@remote.test')
  const events = await queryEvents(f.data.engine, { queueId: m[1] })
  assert.deepEqual(events.map((e) => e.event), ['received', 'delivered'])
  assert.equal(events[0].sender, 'swaks@remote.test')
})

test('nodemailer → MX with DSN parameters: accepted and tracked per recipient', async () => {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.mx, secure: false, tls: { rejectUnauthorized: false } })
  await t.sendMail({
    from: 'dsn@remote.test', to: ['alice@example.test', 'bob@example.test'], subject: 'dsn params', text: 'x',
    messageId: '<dsn-params@remote.test>', dsn: { id: 'env-7', return: 'headers', notify: ['success', 'failure'], recipient: 'orig@remote.test' },
  })
  t.close()
  await newest(alice, 'dsn-params@remote.test')
  await newest(bob, 'dsn-params@remote.test')
  const events = await queryEvents(f.data.engine, { messageId: 'dsn-params@remote.test' })
  assert.equal(events.filter((e) => e.event === 'delivered').length, 2)
})

test('an alias and a group expand, deduplicated: one copy per mailbox', async () => {
  await f.data.admin.addAlias('sales@example.test', 'alice@example.test')
  await f.data.admin.addGroup('team@example.test', ['alice@example.test', 'bob@example.test'])
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.mx, secure: false, tls: { rejectUnauthorized: false } })
  await t.sendMail({ from: 'x@remote.test', to: ['sales@example.test', 'team@example.test', 'alice@example.test'], subject: 'expand', text: 'x', messageId: '<expand-1@remote.test>' })
  t.close()
  await newest(bob, 'expand-1@remote.test')
  await newest(alice, 'expand-1@remote.test')
  const count = (await f.inbox(alice)).filter((m) => m.raw.includes('expand-1@remote.test')).length
  assert.equal(count, 1)
})

test('an internal-only group refuses an external sender with 550 5.7.1', async () => {
  await f.data.admin.addGroup('staff@example.test', ['alice@example.test'], { internalOnly: true })
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.mx, secure: false, tls: { rejectUnauthorized: false } })
  await assert.rejects(
    t.sendMail({ from: 'x@remote.test', to: 'staff@example.test', subject: 'outsider', text: 'x' }),
    (error: { response?: string }) => /^550 5\.7\.1/.test(error.response ?? ''),
  )
  t.close()
})

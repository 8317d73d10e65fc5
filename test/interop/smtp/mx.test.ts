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
import { RawSmtp } from './raw-smtp.ts'

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
  // NOTIFY=SUCCESS: a success DSN (from the null sender) is queued back to the remote sender.
  const dsn = await f.until(async () => (await queryEvents(f.data.engine, { from: '', to: 'dsn@remote.test' })).find((e) => e.event === 'received'), 'the success DSN')
  assert.equal(dsn.sender, '')
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

test('a catch-all takes mail for unknown local parts (runs last: it changes 550 5.1.1 for the domain)', async () => {
  await f.data.admin.setCatchAll('example.test', 'alice@example.test')
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.mx, secure: false, tls: { rejectUnauthorized: false } })
  await t.sendMail({ from: 'x@remote.test', to: 'whoever-123@example.test', subject: 'catch all', text: 'x', messageId: '<catch-all@remote.test>' })
  t.close()
  await newest(alice, 'catch-all@remote.test')
})

test('SMTPUTF8 (RFC 6531): a UTF-8 mailbox gets UTF-8 mail; Received says UTF8SMTP', async () => {
  const joerg = await f.addUser('jörg@example.test', 'joerg-password-1')
  const c = await RawSmtp.open(f.ports.mx)
  try {
    await c.command('EHLO client.remote.test')
    assert.equal((await c.command('MAIL FROM:<bücher@remote.test> SMTPUTF8')).code, 250)
    c.write(Buffer.from('RCPT TO:<jörg@example.test>\r\n', 'utf8'))
    assert.equal((await c.reply()).code, 250)
    assert.equal((await c.command('DATA')).code, 354)
    c.write(Buffer.from('From: <bücher@remote.test>\r\nSubject: Grüße\r\nMessage-ID: <utf8-1@remote.test>\r\n\r\nÄ body\r\n.\r\n', 'utf8'))
    assert.equal((await c.reply()).code, 250)
  } finally {
    c.close()
  }
  const raw = (await newest(joerg, 'utf8-1@remote.test')).toString('utf8')
  assert.match(raw, /with UTF8SMTP\r\n/)
  assert.match(raw, /for <jörg@example\.test>/)
  assert.match(raw, /Subject: Grüße\r\n/)
})

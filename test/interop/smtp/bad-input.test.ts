/**
 * Hostile and malformed input on the MX and submission listeners: every case gets a clear SMTP
 * error (or a clean close), never a crash, and nothing smuggled reaches a mailbox.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from '../../../src/db/engine.ts'
import type { Principal } from '../../../src/directory/directory.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { RawSmtp, plain } from './raw-smtp.ts'

let f: SmtpFixture
let alice: Principal

before(async () => {
  f = await startSmtpFixture({ config: { 'smtp.max_message_size': '64K' } })
  alice = await f.addUser('alice@example.test', 'alice-password-1')
  await f.addUser('bob@example.test', 'bob-password-1')
})
after(async () => { await f?.stop() })

async function mx(): Promise<RawSmtp> {
  const c = await RawSmtp.open(f.ports.mx)
  assert.equal((await c.command('EHLO client.remote.test')).code, 250)
  return c
}

test('a 1001-octet command line gets 500 5.5.6 and the connection is closed', async () => {
  const c = await mx()
  const reply = await c.command('NOOP ' + 'x'.repeat(1001 - 2 - 5))
  assert.match(reply.text, /^500 5\.5\.6 Line too long/)
  // smtp-server's parser can't resynchronise after an over-long line, so it hangs up.
  await c.waitClosed()
})

test('a 998-octet command line is still a command', async () => {
  const c = await mx()
  const reply = await c.command('NOOP ' + 'x'.repeat(998 - 5))
  assert.equal(reply.code, 250)
  c.close()
})

test('SIZE= over the limit is refused at MAIL FROM with 552', async () => {
  const c = await mx()
  const reply = await c.command(`MAIL FROM:<s@remote.test> SIZE=${1024 * 1024}`)
  assert.equal(reply.code, 552)
  c.close()
})

test('a message over the limit is refused with 552 after DATA, and nothing is queued', async () => {
  const c = await mx()
  assert.equal((await c.command('MAIL FROM:<s@remote.test>')).code, 250)
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250)
  assert.equal((await c.command('DATA')).code, 354)
  const line = 'y'.repeat(76) + '\r\n'
  c.write('Subject: big\r\n\r\n')
  for (let i = 0; i < 2000; i++) c.write(line) // ~156 KiB > 64 KiB
  const reply = await c.command('.')
  assert.equal(reply.code, 552)
  assert.match(reply.text, /5\.3\.4/)
  // The session is still usable.
  assert.equal((await c.command('NOOP')).code, 250)
  c.close()
})

test('SMTP smuggling: <LF>.<LF> and <CR>.<CR> do not end DATA; bare line ends become CRLF', async () => {
  const before = (await f.inbox(alice)).length
  const c = await mx()
  assert.equal((await c.command('MAIL FROM:<s@remote.test>')).code, 250)
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250)
  assert.equal((await c.command('DATA')).code, 354)
  c.write('Subject: smuggle\r\n\r\nfirst\n.\nMAIL FROM:<evil@remote.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: smuggled\r.\rsecond\r\n.\r\n')
  const reply = await c.reply()
  assert.equal(reply.code, 250, reply.text)
  // Exactly one reply: the smuggled commands were message text, not commands.
  assert.equal((await c.command('NOOP')).code, 250)
  c.close()
  const messages = await f.until(async () => { const m = await f.inbox(alice); return m.length > before && m }, 'delivery')
  const raw = messages.at(-1)!.raw.toString('latin1')
  assert.match(raw, /first\r\n\.\.?\r\nMAIL FROM:<evil@remote.test>\r\nRCPT TO/)
  assert.doesNotMatch(raw.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF is stored')
})

test('NUL bytes in a message are refused with 554 5.6.0', async () => {
  const c = await mx()
  await c.command('MAIL FROM:<s@remote.test>')
  await c.command('RCPT TO:<alice@example.test>')
  assert.equal((await c.command('DATA')).code, 354)
  c.write('Subject: nul\r\n\r\nbad\0byte\r\n.\r\n')
  const reply = await c.reply()
  assert.equal(reply.code, 554)
  assert.match(reply.text, /5\.6\.0/)
  c.close()
})

test('a message with more than 100 Received headers is a loop: 554 5.4.6', async () => {
  const c = await mx()
  await c.command('MAIL FROM:<s@remote.test>')
  await c.command('RCPT TO:<alice@example.test>')
  assert.equal((await c.command('DATA')).code, 354)
  c.write('Received: from a by b; Mon, 23 Nov 2026 10:00:00 +0000\r\n'.repeat(101) + 'Subject: loop\r\n\r\nx\r\n.\r\n')
  const reply = await c.reply()
  assert.equal(reply.code, 554)
  assert.match(reply.text, /5\.4\.6/)
  c.close()
})

for (const address of ['<a b@example.test>', '<alice@exa mple.test>', '<alice@@example.test>', 'alice@example.test>', '<alice@example.test', '<' + 'a'.repeat(65) + '@example.test>']) {
  test(`an invalid address ${address} gets 501 5.1.3 at RCPT`, async () => {
    const c = await mx()
    await c.command('MAIL FROM:<s@remote.test>')
    const reply = await c.command(`RCPT TO:${address}`)
    assert.match(reply.text, /^501 5\.1\.3 /)
    c.close()
  })
}

test('an invalid sender gets 501', async () => {
  const c = await mx()
  const reply = await c.command('MAIL FROM:<bad sender@remote.test>')
  assert.equal(reply.code, 501)
  c.close()
})

test('501 recipients: the first 500 accepted, then 452 4.5.3', async () => {
  const c = await mx()
  await c.command('MAIL FROM:<s@remote.test>')
  // Pipelined (RFC 2920), as a bulk sender would.
  let batch = ''
  for (let i = 0; i < 501; i++) batch += `RCPT TO:<alice+${i}@example.test>\r\n`
  c.write(batch)
  const codes: number[] = []
  for (let i = 0; i < 501; i++) codes.push((await c.reply()).code)
  assert.equal(codes.filter((x) => x === 250).length, 500)
  assert.equal(codes[500], 452)
  c.close()
})

test('commands pipelined after STARTTLS are discarded (RFC 3207 4.2)', async () => {
  const c = await mx()
  c.write('STARTTLS\r\nMAIL FROM:<injected@remote.test>\r\n')
  const reply = await c.reply()
  assert.equal(reply.code, 220)
  await c.upgrade()
  assert.equal((await c.command('EHLO client.remote.test')).code, 250)
  // Had the injected MAIL FROM survived, this would be "503 nested MAIL".
  const mail = await c.command('MAIL FROM:<s@remote.test>')
  assert.equal(mail.code, 250, mail.text)
  c.close()
})

test('AUTH over plain text on submission is refused before STARTTLS', async () => {
  const c = await RawSmtp.open(f.ports.submission)
  const ehlo = await c.command('EHLO client')
  assert.match(ehlo.text, /STARTTLS/)
  const reply = await c.command('AUTH PLAIN ' + plain('alice@example.test', 'alice-password-1'))
  assert.ok(reply.code === 538 || reply.code === 530 || reply.code === 503 || reply.code === 502, reply.text)
  c.close()
})

test('an authentication failure storm is throttled (454 4.7.0), even for the right password', async () => {
  let throttled = false
  for (let i = 0; i < 40 && !throttled; i++) {
    const c = await RawSmtp.open(f.ports.submissions, { tls: true })
    await c.command('EHLO storm')
    const reply = await c.command('AUTH PLAIN ' + plain('bob@example.test', 'wrong-' + i))
    assert.ok(reply.code === 535 || reply.code === 454, reply.text)
    if (reply.code === 454) throttled = true
    c.close()
  }
  assert.ok(throttled, 'the directory throttle kicked in')
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  await c.command('EHLO storm')
  const reply = await c.command('AUTH PLAIN ' + plain('bob@example.test', 'bob-password-1'))
  assert.equal(reply.code, 454, reply.text)
  c.close()
})

test('the server survived all of it and queued nothing it refused', async () => {
  const c = await mx()
  assert.equal((await c.command('NOOP')).code, 250)
  c.close()
  const rows = await f.data.engine.all<{ sender: string }>(sql`SELECT sender FROM queue_messages`)
  assert.ok(rows.every((r) => r.sender !== 'evil@remote.test'))
})

/**
 * DATA streams to the spool instead of being held whole: a message past what is held in memory
 * arrives byte-exact (bare line ends normalised across chunk boundaries, our Received on top), and
 * on submission a header section too long to check for send-as is refused, not passed unchecked.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Principal } from '../../../src/directory/directory.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { RawSmtp, plain } from './raw-smtp.ts'

let f: SmtpFixture
let alice: Principal

before(async () => {
  f = await startSmtpFixture()
  alice = await f.addUser('alice@example.test', 'alice-password-1')
})
after(async () => { await f?.stop() })

test('MX: a 3 MiB message with bare LFs (streamed, not held) arrives whole, with CRLF line ends', async () => {
  const line = 'y'.repeat(70)
  const body = Array.from({ length: 40_000 }, (_, i) => `${i} ${line}`).join('\n') + '\n'
  const c = await RawSmtp.open(f.ports.mx)
  try {
    await c.command('EHLO big.remote.test')
    await c.command('MAIL FROM:<s@remote.test>')
    assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250)
    assert.equal((await c.command('DATA')).code, 354)
    const message = Buffer.from(`Message-ID: <stream-1@remote.test>\nSubject: big\n\n${body}`)
    // Odd-sized writes so CR/LF pairs and the header end fall across chunks.
    for (let at = 0; at < message.length; at += 65_537) c.write(message.subarray(at, at + 65_537))
    // smtp-server ends DATA only at <CRLF>.<CRLF>.
    c.write('\r\n.\r\n')
    const reply = await c.reply()
    assert.equal(reply.code, 250, reply.text)
  } finally {
    c.close()
  }
  const [got] = await f.until(async () => (await f.inbox(alice)).filter((m) => m.raw.includes('stream-1@remote.test')), 'the big message')
  const text = got.raw.toString('latin1')
  assert.match(text, /^Received: from big\.remote\.test/)
  assert.ok(text.endsWith(`Message-ID: <stream-1@remote.test>\r\nSubject: big\r\n\r\n${body.replaceAll('\n', '\r\n')}\r\n`), 'bytes differ')
  assert.doesNotMatch(text, /[^\r]\n/)
})

test('submission: a header section over the scan limit is refused with 552 5.3.4, and the session goes on', async () => {
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  try {
    await c.command('EHLO client')
    assert.equal((await c.command('AUTH PLAIN ' + plain('alice@example.test', 'alice-password-1'))).code, 235)
    await c.command('MAIL FROM:<alice@example.test>')
    assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250)
    assert.equal((await c.command('DATA')).code, 354)
    const padding = Array.from({ length: 1_500 }, (_, i) => `X-Padding-${i}: ${'p'.repeat(60)}\r\n`).join('')
    c.write(`${padding}From: <ceo@example.test>\r\nSubject: hidden\r\n\r\nbody\r\n.\r\n`)
    assert.match((await c.reply()).text, /^552 5\.3\.4 Header section too large/)
    assert.equal((await c.command('NOOP')).code, 250)
  } finally {
    c.close()
  }
})

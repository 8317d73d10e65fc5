/**
 * Submission (RFC 6409) on 587 with STARTTLS and 465 with implicit TLS (RFC 8314): AUTH only
 * over TLS, send only as your own addresses, Message-ID and Date added when missing.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import nodemailer from 'nodemailer'
import type { Principal } from '../../../src/directory/directory.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { RawSmtp, plain } from './raw-smtp.ts'

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

function transport(port: number, secure: boolean, user = 'alice@example.test', pass = 'alice-password-1') {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure, requireTLS: !secure, auth: { user, pass }, tls: { rejectUnauthorized: false } })
}

async function inboxHas(p: Principal, marker: string): Promise<Buffer> {
  const found = await f.until(async () => (await f.inbox(p)).find((m) => m.raw.includes(marker)), `"${marker}"`)
  return found.raw
}

test('nodemailer on 587: STARTTLS, AUTH PLAIN, delivered to a local Inbox', async () => {
  const t = transport(f.ports.submission, false)
  const info = await t.sendMail({ from: 'alice@example.test', to: 'bob@example.test', subject: 'via 587', text: 'hello bob' })
  t.close()
  assert.match(info.response, /^250 2\.0\.0 Ok: queued as /)
  const raw = (await inboxHas(bob, 'via 587')).toString()
  assert.match(raw, /with ESMTPSA \(TLSv1\.[23] cipher/)
})

test('nodemailer on 465: implicit TLS, AUTH LOGIN', async () => {
  const t = nodemailer.createTransport({
    host: '127.0.0.1', port: f.ports.submissions, secure: true, authMethod: 'LOGIN',
    auth: { user: 'bob@example.test', pass: 'bob-password-1' }, tls: { rejectUnauthorized: false },
  })
  await t.sendMail({ from: 'bob@example.test', to: 'alice@example.test', subject: 'via 465', text: 'hello alice' })
  t.close()
  await inboxHas(alice, 'via 465')
})

test('Python smtplib on 587: starttls + login, Message-ID and Date added when missing', async () => {
  const script = `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', ${f.ports.submission})
s.starttls(context=ctx)
s.login('alice@example.test', 'alice-password-1')
s.sendmail('alice@example.test', ['bob@example.test'], b'From: alice@example.test\\r\\nSubject: no ids\\r\\n\\r\\nbare\\r\\n')
s.quit()
`
  await run('python3', ['-c', script])
  const raw = (await inboxHas(bob, 'Subject: no ids')).toString()
  assert.match(raw, /\r\nMessage-ID: <[0-9a-f]+\.[^@]+@mail\.example\.test>\r\n/)
  assert.match(raw, /\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/)
  // Added at the end of the header block, the body untouched.
  assert.match(raw, /Subject: no ids\r\nMessage-ID: .*\r\nDate: .*\r\n\r\nbare\r\n$/)
})

test('an existing Message-ID and Date are kept as they are', async () => {
  const t = transport(f.ports.submission, false)
  await t.sendMail({ from: 'alice@example.test', to: 'bob@example.test', subject: 'own ids', text: 'x', messageId: '<mine-1@example.test>', date: new Date('2020-01-02T03:04:05Z') })
  t.close()
  const raw = (await inboxHas(bob, 'mine-1@example.test')).toString()
  assert.equal(raw.match(/^Message-ID:/gim)?.length, 1)
  assert.equal(raw.match(/^Date:/gim)?.length, 1)
})

test('sending as someone else is refused with 550 5.7.1', async () => {
  const t = transport(f.ports.submission, false)
  await assert.rejects(
    t.sendMail({ envelope: { from: 'bob@example.test', to: 'alice@example.test' }, from: 'bob@example.test', to: 'alice@example.test', subject: 'spoof', text: 'x' }),
    (error: { response?: string }) => /^550 5\.7\.1/.test(error.response ?? ''),
  )
  t.close()
})

test('a From header that is not one of your addresses is refused with 550 5.7.1', async () => {
  const t = transport(f.ports.submission, false)
  await assert.rejects(
    t.sendMail({ envelope: { from: 'alice@example.test', to: 'bob@example.test' }, from: '"The Boss" <bob@example.test>', to: 'bob@example.test', subject: 'header spoof', text: 'x' }),
    (error: { response?: string }) => /^550 5\.7\.1/.test(error.response ?? ''),
  )
  t.close()
  assert.ok(!(await f.inbox(bob)).some((m) => m.raw.includes('header spoof')))
})

test('a wrong password is refused with 535 5.7.8', async () => {
  const t = transport(f.ports.submissions, true, 'alice@example.test', 'not-her-password')
  await assert.rejects(t.sendMail({ from: 'alice@example.test', to: 'bob@example.test', subject: 'x', text: 'x' }), (error: { response?: string }) => /^535 5\.7\.8/.test(error.response ?? ''))
  t.close()
})

test('AUTH PLAIN with another authorization identity (authzid) is refused', async () => {
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  await c.command('EHLO client')
  const token = Buffer.from('bob@example.test\0alice@example.test\0alice-password-1').toString('base64')
  assert.match((await c.command('AUTH PLAIN ' + token)).text, /^535 5\.7\.8/)
  c.close()
})

test('MAIL without AUTH on submission is refused (530)', async () => {
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  await c.command('EHLO client')
  const reply = await c.command('MAIL FROM:<alice@example.test>')
  assert.equal(reply.code, 530)
  c.close()
})

test('an authenticated user may relay to any domain (queued for remote delivery)', async () => {
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  await c.command('EHLO client')
  assert.equal((await c.command('AUTH PLAIN ' + plain('alice@example.test', 'alice-password-1'))).code, 235)
  assert.equal((await c.command('MAIL FROM:<alice@example.test>')).code, 250)
  assert.equal((await c.command('RCPT TO:<someone@elsewhere.test>')).code, 250)
  c.close()
})

test('AUTH without TLS works only from trusted_networks, which still never relays without AUTH', async () => {
  const trusted = await startSmtpFixture({ config: { trusted_networks: ['127.0.0.0/8'] } })
  try {
    await trusted.addUser('carol@example.test', 'carol-password-1')
    const c = await RawSmtp.open(trusted.ports.submission)
    await c.command('EHLO client')
    assert.equal((await c.command('AUTH PLAIN ' + plain('carol@example.test', 'carol-password-1'))).code, 235)
    c.close()
    // Trusted is not a licence to relay: without AUTH the MX still refuses other domains.
    const m = await RawSmtp.open(trusted.ports.mx)
    await m.command('EHLO client')
    assert.equal((await m.command('MAIL FROM:<carol@example.test>')).code, 250)
    assert.match((await m.command('RCPT TO:<victim@remote.test>')).text, /^550 5\.7\.1/)
    m.close()
  } finally {
    await trusted.stop()
  }
})

/**
 * The open-relay battery: an unauthenticated client on the MX must not get mail relayed to a
 * domain that isn't ours, whatever the trick; nothing may be queued for any of them.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from '../../../src/db/engine.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { RawSmtp } from './raw-smtp.ts'

let f: SmtpFixture

before(async () => {
  f = await startSmtpFixture()
  await f.addUser('alice@example.test', 'alice-password-1')
})
after(async () => { await f?.stop() })

const TRICKS: ReadonlyArray<[string, string]> = [
  ['plain remote domain', '<victim@remote.test>'],
  ['percent hack', '<victim%remote.test@example.test>'],
  ['bang path', '<remote.test!victim@example.test>'],
  ['bang path without domain', '<remote.test!victim>'],
  ['source route', '<@example.test:victim@remote.test>'],
  ['source route list', '<@example.test,@relay.test:victim@remote.test>'],
  ['quoted local part with @', '<"victim@remote.test"@example.test>'],
  ['quoted local part with %', '<"victim%remote.test"@example.test>'],
  ['IP literal', '<victim@[192.0.2.1]>'],
  ['IPv6 literal', '<victim@[IPv6:2001:db8::1]>'],
  ['local domain with trailing dot', '<victim@remote.test.>'],
  ['case and spaces', '< victim@REMOTE.test >'],
  ['no domain at all', '<victim>'],
]

for (const [name, rcpt] of TRICKS) {
  test(`MX refuses relaying via ${name}: RCPT TO:${rcpt}`, async () => {
    const c = await RawSmtp.open(f.ports.mx)
    try {
      assert.equal((await c.command('EHLO client.remote.test')).code, 250)
      assert.equal((await c.command('MAIL FROM:<sender@remote.test>')).code, 250)
      const reply = await c.command(`RCPT TO:${rcpt}`)
      // 550 5.7.1 for a routing trick or a foreign domain; 501 5.1.3 where it isn't even an address.
      assert.match(reply.text, /^(550 5\.7\.1|501 5\.1\.3) /)
      const data = await c.command('DATA')
      assert.ok(data.code >= 500, `DATA must fail without recipients: ${data.text}`)
    } finally {
      c.close()
    }
  })
}

test('MX refuses a local-domain sender from an unauthenticated client (550 5.7.1)', async () => {
  const c = await RawSmtp.open(f.ports.mx)
  try {
    await c.command('EHLO client.remote.test')
    const reply = await c.command('MAIL FROM:<alice@example.test>')
    assert.equal(reply.code, 550)
    assert.match(reply.text, /5\.7\.1/)
  } finally {
    c.close()
  }
})

test('MX refuses an unknown local user with 550 5.1.1 and accepts a known one', async () => {
  const c = await RawSmtp.open(f.ports.mx)
  try {
    await c.command('EHLO client.remote.test')
    await c.command('MAIL FROM:<sender@remote.test>')
    const unknown = await c.command('RCPT TO:<nobody@example.test>')
    assert.equal(unknown.code, 550)
    assert.match(unknown.text, /^550 5\.1\.1/)
    assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250)
  } finally {
    c.close()
  }
})

test('AUTH is not offered on the MX, so no credentials can unlock relaying there', async () => {
  const c = await RawSmtp.open(f.ports.mx)
  try {
    const ehlo = await c.command('EHLO client.remote.test')
    assert.doesNotMatch(ehlo.text, /AUTH/)
    const auth = await c.command('AUTH PLAIN ' + Buffer.from('\0alice@example.test\0alice-password-1').toString('base64'))
    assert.ok(auth.code >= 500, auth.text)
  } finally {
    c.close()
  }
})

test('nothing was queued by any relay attempt', async () => {
  const rows = await f.data.engine.all<{ n: number }>(sql`SELECT count(*) AS n FROM queue_messages`)
  assert.equal(Number(rows[0].n), 0)
})

/**
 * STARTTLS command injection (CVE-2011-0411 and its many siblings, "NO STARTTLS" paper, USENIX
 * Security 2021): a man in the middle appends plaintext commands to the client's STARTTLS in the
 * same TCP segment. If the server buffers them and runs them after the handshake, they execute
 * inside the TLS session as if the client had sent them. RFC 9051 §6.2.1, RFC 2595 §3.1 and
 * RFC 3207 §4.2 require the server to discard them. Each test sends the upgrade command and an
 * injected command in ONE write, completes the handshake, then checks the injected command had no
 * effect and produced no reply.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { LineClient } from '../support/line-client.ts'
import { RawSmtp } from '../interop/smtp/raw-smtp.ts'
import { ALICE, ALICE_PASSWORD, BOB, pop3Command, quote, startSecurityServer, type SecurityServer } from './fixture.ts'

let s: SecurityServer

before(async () => {
  s = await startSecurityServer()
})

after(async () => {
  await s?.stop()
})

test('IMAP: a LOGIN pipelined after STARTTLS in the same packet is discarded, not run inside TLS', async () => {
  const client = await LineClient.connect(s.port('listen.imap'))
  try {
    assert.match(await client.readLine(), /^\* OK/)
    client.send(`A STARTTLS\r\nB LOGIN ${quote(ALICE)} ${quote(ALICE_PASSWORD)}\r\nB2 CAPABILITY\r\n`)
    const ok = await client.readLine()
    assert.match(ok, /^A OK/)
    await client.upgrade()
    // Had "B LOGIN" run, we would be authenticated and see "B OK" first.
    const result = await client.command('C', 'SELECT INBOX')
    const all = [...result.lines, result.tagged].join('\n')
    assert.ok(!/^B2? /m.test(all), `an injected command answered inside TLS: ${all}`)
    assert.match(result.tagged, /^C (BAD|NO) /, `SELECT ran: the injected LOGIN took effect: ${all}`)
    // The session is otherwise healthy: a real login over TLS works.
    await client.expectTagged('D', `LOGIN ${quote(ALICE)} ${quote(ALICE_PASSWORD)}`)
  } finally {
    client.close()
  }
})

test('POP3: a USER pipelined after STLS in the same packet is discarded', async () => {
  const client = await LineClient.connect(s.port('listen.pop3'))
  try {
    assert.match(await client.readLine(), /^\+OK/)
    client.send(`STLS\r\nUSER ${ALICE}\r\nCAPA\r\n`)
    assert.match(await client.readLine(), /^\+OK/)
    await client.upgrade()
    // Had "USER alice" run inside TLS, this PASS would log in (and its reply would be preceded by +OK lines).
    const reply = await pop3Command(client, `PASS ${ALICE_PASSWORD}`)
    assert.match(reply, /^-ERR/, `PASS after an injected USER: ${reply}`)
    assert.match(await pop3Command(client, `USER ${ALICE}`), /^\+OK/)
    assert.match(await pop3Command(client, `PASS ${ALICE_PASSWORD}`), /^\+OK/, 'a real login over TLS works')
  } finally {
    client.close()
  }
})

for (const key of ['listen.smtp', 'listen.submission']) {
  test(`SMTP (${key}): a command pipelined after STARTTLS in the same packet is discarded`, async () => {
    const client = await RawSmtp.open(s.port(key))
    try {
      assert.equal((await client.command('EHLO client.example.test')).code, 250)
      // HELP answers 214, which nothing else does: if it runs inside TLS we see it.
      client.write(`STARTTLS\r\nHELP\r\nMAIL FROM:<${BOB}>\r\n`)
      const ready = await client.reply()
      assert.equal(ready.code, 220, `STARTTLS: ${ready.text}`)
      await client.upgrade()
      const noop = await client.command('NOOP')
      assert.equal(noop.code, 250, `first reply inside TLS was ${noop.text}: an injected command ran`)
      const ehlo = await client.command('EHLO client.example.test')
      assert.equal(ehlo.code, 250, `EHLO inside TLS: ${ehlo.text}`)
      assert.equal(client.pending(), '', 'no stray replies are left')
    } finally {
      client.close()
    }
  })
}

/** Connection limits and the counters operators watch. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { RawSmtp, plain } from './raw-smtp.ts'

let f: SmtpFixture

before(async () => {
  f = await startSmtpFixture({ config: { 'smtp.max_connections_per_ip': 3 } })
  await f.addUser('alice@example.test', 'alice-password-1')
})
after(async () => { await f?.stop() })

test('past smtp.max_connections_per_ip a client gets 421 4.7.0; a slot frees when one closes', async () => {
  const open = [await RawSmtp.open(f.ports.mx), await RawSmtp.open(f.ports.submission), await RawSmtp.open(f.ports.mx)]
  const refused = await (async () => {
    const c = await import('node:net').then(({ connect }) => connect({ host: '127.0.0.1', port: f.ports.mx }))
    let text = ''
    c.on('data', (d: Buffer) => { text += d })
    await new Promise((r) => c.on('close', r))
    return text
  })()
  assert.match(refused, /^421 4\.7\.0 /)
  open.pop()!.close()
  await new Promise((r) => setTimeout(r, 100))
  const again = await RawSmtp.open(f.ports.mx)
  assert.equal((await again.command('NOOP')).code, 250)
  again.close()
  for (const c of open) c.close()
})

test('connections and logins are counted', async () => {
  const c = await RawSmtp.open(f.ports.submissions, { tls: true })
  await c.command('EHLO client')
  assert.equal((await c.command('AUTH PLAIN ' + plain('alice@example.test', 'alice-password-1'))).code, 235)
  c.close()
  const text = await f.ctx.metrics.registry.metrics()
  assert.match(text, /tidings_connections_total\{protocol="smtp"\} [1-9]/)
  assert.match(text, /tidings_logins_total\{protocol="smtp",result="ok"\} 1/)
})

test('a full mailbox is refused at RCPT with 452 4.2.2; the sender keeps the message', async () => {
  const full = await f.addUser('full@example.test', 'full-password-1', 300)
  const c = await RawSmtp.open(f.ports.mx)
  try {
    await c.command('EHLO client.remote.test')
    await c.command('MAIL FROM:<s@remote.test>')
    assert.equal((await c.command('RCPT TO:<full@example.test>')).code, 250)
    assert.equal((await c.command('DATA')).code, 354)
    c.write('Subject: fill\r\n\r\n' + 'x'.repeat(400) + '\r\n.\r\n')
    assert.equal((await c.reply()).code, 250)
    const account = await f.data.store.accounts.get(full.id)
    assert.ok(account && account.usedBytes === 0, 'over quota: the queue holds it, the store refused it')
  } finally {
    c.close()
  }
  // Fill it to the byte: exactly at quota counts as full.
  const filler = Buffer.from('Subject: filler\r\n\r\n' + 'y'.repeat(300 - 21) + '\r\n')
  assert.equal(filler.length, 300)
  const results = await f.data.store.emails.deliver([full.id], { raw: filler })
  assert.ok(!(results.get(full.id) instanceof Error), String(results.get(full.id)))
  const again = await RawSmtp.open(f.ports.mx)
  await again.command('EHLO client.remote.test')
  await again.command('MAIL FROM:<s@remote.test>')
  const reply = await again.command('RCPT TO:<full@example.test>')
  again.close()
  assert.match(reply.text, /^452 4\.2\.2 /)
})

/**
 * POP3 with Python's poplib over STLS and implicit TLS, AUTH PLAIN by raw command, and the
 * deletions a POP3 QUIT makes seen by the store and by an IMAP client (imapflow).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ImapFlow } from 'imapflow'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { python, sampleMessage, userWithMail } from './fixture.ts'

const SESSION = `
import json, os, poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
port = int(os.environ['PORT'])
if os.environ.get('IMPLICIT'):
    p = poplib.POP3_SSL('127.0.0.1', port, context=ctx)
else:
    p = poplib.POP3('127.0.0.1', port)
    caps_before = p.capa()
    p.stls(context=ctx)
out = {'welcome': p.getwelcome().decode()}
if not os.environ.get('IMPLICIT'):
    out['caps_before_tls'] = sorted(caps_before.keys())
out['caps'] = sorted(p.capa().keys())
if os.environ.get('SASL'):
    import base64
    token = base64.b64encode(('\\0' + os.environ['USER_NAME'] + '\\0' + os.environ['PASSWORD']).encode()).decode()
    out['auth'] = p._shortcmd('AUTH PLAIN ' + token).decode()
else:
    p.user(os.environ['USER_NAME'])
    out['auth'] = p.pass_(os.environ['PASSWORD']).decode()
out['stat'] = list(p.stat())
out['list'] = [l.decode() for l in p.list()[1]]
out['uidl'] = [l.decode() for l in p.uidl()[1]]
out['retr'] = [l.decode('latin1') for l in p.retr(1)[1]]
out['top'] = [l.decode('latin1') for l in p.top(2, 1)[1]]
out['dele'] = p.dele(1).decode()
try:
    p.retr(1)
    out['retr_deleted'] = 'no error'
except poplib.error_proto as e:
    out['retr_deleted'] = str(e)
out['stat_after_dele'] = list(p.stat())
out['quit'] = p.quit().decode()
print(json.dumps(out))
`

describe('POP3 with poplib', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
  })
  after(async () => {
    await server?.stop()
  })

  for (const mode of ['STLS with USER/PASS', 'implicit TLS with AUTH PLAIN'] as const) {
    test(`${mode}: STAT, LIST, UIDL, RETR, TOP, DELE, QUIT; the deletion reaches the store and IMAP`, async () => {
      const implicit = mode.startsWith('implicit')
      const address = implicit ? 'carol@example.test' : 'alice@example.test'
      const account = await userWithMail(server, address, 'secret pw', [sampleMessage('first'), sampleMessage('second', 'one\r\ntwo\r\nthree\r\n')])
      const inbox = (await server.ctx.store.folders.byRole(account, 'inbox'))!
      const [first, second] = await server.ctx.store.emails.info(account, inbox.id, (await server.ctx.store.emails.list(account, inbox.id)).map((r) => r.uid))
      const out = await python<Record<string, any>>(SESSION, {
        PORT: server.ports[implicit ? 'listen.pop3s' : 'listen.pop3'],
        IMPLICIT: implicit ? '1' : '',
        SASL: implicit ? '1' : '',
        USER_NAME: address,
        PASSWORD: 'secret pw',
      })
      assert.match(out.welcome, /^\+OK/)
      if (!implicit) {
        // Before TLS on a non-trusted address: STLS offered, no plaintext login offered.
        assert.ok(out.caps_before_tls.includes('STLS'))
        assert.ok(!out.caps_before_tls.includes('USER'))
        assert.ok(!out.caps_before_tls.includes('SASL'))
      }
      for (const cap of ['TOP', 'UIDL', 'USER', 'SASL', 'RESP-CODES', 'PIPELINING']) assert.ok(out.caps.includes(cap), cap)
      assert.ok(!out.caps.includes('STLS'))
      assert.match(out.auth, /^\+OK/)
      assert.deepEqual(out.stat, [2, first.size + second.size])
      assert.deepEqual(out.list, [`1 ${first.size}`, `2 ${second.size}`])
      const hex = (n: number) => n.toString(16).padStart(8, '0')
      assert.deepEqual(out.uidl, [`1 ${hex(inbox.uidValidity)}.${hex(first.uid)}`, `2 ${hex(inbox.uidValidity)}.${hex(second.uid)}`])
      // poplib un-stuffs dots: the lines are the stored message's lines.
      assert.deepEqual(out.retr, sampleMessage('first').toString('latin1').replace(/\r\n$/, '').split('\r\n'))
      assert.deepEqual(out.top.slice(-2), ['', 'one'])
      assert.match(out.dele, /^\+OK/)
      assert.match(out.retr_deleted, /^b?'?-ERR/)
      assert.deepEqual(out.stat_after_dele, [1, second.size])
      assert.match(out.quit, /^\+OK/)

      // UPDATE state: message 1 is gone from the store; message 2 was only TOP'd, still unseen.
      const left = await server.ctx.store.emails.list(account, inbox.id)
      assert.deepEqual(left.map((r) => r.uid), [second.uid])
      const imap = new ImapFlow({ host: '127.0.0.1', port: server.ports['listen.imaps'], secure: true, tls: { rejectUnauthorized: false }, auth: { user: address, pass: 'secret pw' }, logger: false })
      await imap.connect()
      try {
        const mailbox = await imap.mailboxOpen('INBOX')
        assert.equal(mailbox.exists, 1)
        assert.equal(Number(mailbox.uidValidity), inbox.uidValidity)
        const uids = await imap.search({ all: true }, { uid: true })
        assert.deepEqual(uids, [second.uid])
      } finally {
        await imap.logout()
      }
    })
  }

  test('an IMAP session open during the POP3 QUIT is told about the expunge', async () => {
    await userWithMail(server, 'live@example.test', 'pw', [sampleMessage('live one'), sampleMessage('live two')])
    const imap = new ImapFlow({ host: '127.0.0.1', port: server.ports['listen.imaps'], secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'live@example.test', pass: 'pw' }, logger: false })
    await imap.connect()
    try {
      const expunged: number[] = []
      imap.on('expunge', (event: { seq: number }) => expunged.push(event.seq))
      const mailbox = await imap.mailboxOpen('INBOX')
      assert.equal(mailbox.exists, 2)
      await python(`
import json, os, poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(os.environ['PORT']), context=ctx)
p.user('live@example.test'); p.pass_('pw'); p.dele(1); p.quit()
print(json.dumps({}))
`, { PORT: server.ports['listen.pop3s'] })
      await imap.noop()
      assert.deepEqual(expunged, [1])
      assert.equal(imap.mailbox && imap.mailbox.exists, 1)
    } finally {
      await imap.logout()
    }
  })

  test('a message retrieved with RETR is marked seen for IMAP after QUIT', async () => {
    const account = await userWithMail(server, 'seen@example.test', 'pw', [sampleMessage('read me')])
    await python(`
import json, os, poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(os.environ['PORT']), context=ctx)
p.user('seen@example.test'); p.pass_('pw'); p.retr(1); p.quit()
print(json.dumps({}))
`, { PORT: server.ports['listen.pop3s'] })
    const inbox = (await server.ctx.store.folders.byRole(account, 'inbox'))!
    const uids = (await server.ctx.store.emails.list(account, inbox.id)).map((r) => r.uid)
    const [info] = await server.ctx.store.emails.info(account, inbox.id, uids)
    assert.ok(info.keywords.includes('$seen'), JSON.stringify(info.keywords))
  })

  test('a large message is streamed whole and byte-exact', async () => {
    const line = 'x'.repeat(76) + '\r\n'
    const body = Buffer.from(('.' + line).repeat(1000) + line.repeat(60_000)) // ~4.7 MB
    const raw = Buffer.concat([sampleMessage('big', ''), body])
    await userWithMail(server, 'big@example.test', 'pw', [raw])
    const out = await python<{ size: number; sha: string; octets: string }>(`
import hashlib, json, os, poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(os.environ['PORT']), context=ctx)
p.user('big@example.test'); p.pass_('pw')
resp, lines, octets = p.retr(1)
data = b'\\r\\n'.join(lines) + b'\\r\\n'
p.quit()
print(json.dumps({'size': len(data), 'sha': hashlib.sha256(data).hexdigest(), 'octets': resp.decode()}))
`, { PORT: server.ports['listen.pop3s'] })
    const { createHash } = await import('node:crypto')
    assert.equal(out.size, raw.length)
    assert.equal(out.sha, createHash('sha256').update(raw).digest('hex'))
    assert.equal(out.octets, `+OK ${raw.length} octets`)
  })
})

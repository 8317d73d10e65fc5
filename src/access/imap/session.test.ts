/**
 * Session behaviour over real sockets: STARTTLS (and its injection defence), COMPRESS=DEFLATE,
 * limits (line length, literals before login, per-IP and per-user connections), invalid UTF-8,
 * and a property test throwing random lines at a live session.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createDeflateRaw, createInflateRaw, constants as zlib } from 'node:zlib'
import fc from 'fast-check'
import { startTestServer, type TestServer } from '../../../test/support/start-server.ts'
import { LineClient } from '../../../test/support/line-client.ts'

let server: TestServer
let limited: TestServer

before(async () => {
  server = await startTestServer()
  await server.addUser('alice@example.test', 'alice-secret')
  limited = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'], 'imap.max_connections_per_ip': 3, 'imap.max_connections_per_user': 1 } })
  await limited.addUser('bob@example.test', 'bob-secret')
})
after(async () => {
  await server.stop()
  await limited.stop()
})

async function connect(target = server): Promise<LineClient> {
  const c = await LineClient.connect(target.ports['listen.imap'])
  assert.match(await c.readLine(), /^\* OK \[CAPABILITY .*\] Tidings IMAP ready$/)
  return c
}

test('STARTTLS: commands pipelined in the clear are discarded; after TLS, AUTH is offered', async () => {
  const c = await connect()
  try {
    const caps = await c.expectTagged('a', 'CAPABILITY')
    assert.match(caps[0], / STARTTLS LOGINDISABLED$/)
    // An attacker injects a command after STARTTLS in the same packet.
    c.send('b STARTTLS\r\nc LOGIN alice@example.test alice-secret\r\n')
    assert.equal(await c.readLine(), 'b OK Begin TLS negotiation now')
    await c.upgrade()
    const after = await c.expectTagged('d', 'CAPABILITY')
    assert.ok(!after[0].includes('STARTTLS') && !after[0].includes('LOGINDISABLED') && after[0].includes('AUTH=PLAIN'), after[0])
    // "c LOGIN" was never executed: we are still not authenticated.
    assert.equal((await c.command('e', 'SELECT INBOX')).tagged, 'e BAD SELECT needs authentication first')
    await c.expectTagged('f', 'AUTHENTICATE PLAIN ' + Buffer.from('\0alice@example.test\0alice-secret').toString('base64'))
    await c.expectTagged('g', 'STARTTLS', 'BAD')
  } finally {
    c.close()
  }
})

test('IMAPS: implicit TLS greets and logs in', async () => {
  const c = await LineClient.connect(server.ports['listen.imaps'], { tls: true })
  try {
    assert.match(await c.readLine(), /AUTH=PLAIN/)
    await c.expectTagged('a', 'LOGIN alice@example.test alice-secret')
  } finally {
    c.close()
  }
})

test('COMPRESS=DEFLATE: both directions are deflated after the OK', async () => {
  const c = await LineClient.connect(server.ports['listen.imaps'], { tls: true })
  try {
    await c.readLine()
    await c.expectTagged('a', 'LOGIN alice@example.test alice-secret')
    c.send('b COMPRESS DEFLATE\r\n')
    assert.equal(await c.readLine(), 'b OK DEFLATE active')
    c.socket.removeAllListeners('data')
    const inflate = createInflateRaw()
    const deflate = createDeflateRaw()
    c.socket.pipe(inflate)
    deflate.pipe(c.socket)
    let text = ''
    inflate.on('data', (chunk: Buffer) => { text += chunk.toString() })
    deflate.write('c NOOP\r\nd LIST "" INBOX\r\n')
    deflate.flush(zlib.Z_SYNC_FLUSH)
    for (let i = 0; i < 100 && !text.includes('d OK'); i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(text, 'c OK NOOP completed\r\n* LIST (\\HasNoChildren) "/" INBOX\r\nd OK LIST completed\r\n')
  } finally {
    c.close()
  }
})

test('limits: an over-long line, a big literal before login, then the session still works', async () => {
  const c = await connect(limited)
  try {
    c.send('a NOOP ' + 'x'.repeat(70 * 1024) + '\r\n')
    assert.equal(await c.readLine(), '* BAD [TOOBIG] Command line too long')
    await c.expectTagged('b', 'NOOP')
    c.send('c LOGIN {100000}\r\n')
    assert.equal(await c.readLine(), 'c BAD [TOOBIG] Literal too big')
    await c.expectTagged('d', 'LOGIN bob@example.test bob-secret')
  } finally {
    c.close()
  }
})

test('invalid UTF-8 and bad modified UTF-7 names get BAD; the session goes on', async () => {
  const c = await connect(limited)
  try {
    await c.expectTagged('a', 'LOGIN bob@example.test bob-secret')
    const bad = Buffer.concat([Buffer.from('CREATE "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"')])
    assert.equal((await c.command('b', bad)).tagged, 'b BAD mailbox name is not valid UTF-8')
    assert.equal((await c.command('e', 'CREATE &Jjo')).tagged, 'e BAD Unterminated modified UTF-7 shift')
    await c.expectTagged('c', 'ENABLE UTF8=ACCEPT')
    assert.equal((await c.command('d', bad)).tagged, 'd BAD mailbox name is not valid UTF-8')
    await c.expectTagged('f', 'CREATE "Grüße"')
    assert.deepEqual(await c.expectTagged('g', 'LIST "" Gr*'), ['* LIST (\\HasNoChildren) "/" "Grüße"'])
  } finally {
    c.close()
  }
})

test('per-user and per-IP connection limits', async () => {
  const one = await connect(limited)
  const two = await connect(limited)
  try {
    await one.expectTagged('a', 'LOGIN bob@example.test bob-secret')
    assert.equal((await two.command('a', 'LOGIN bob@example.test bob-secret')).tagged, 'a NO [LIMIT] Too many connections for this user')
    const three = await connect(limited)
    const four = await LineClient.connect(limited.ports['listen.imap'])
    assert.equal(await four.readLine(), '* BYE [UNAVAILABLE] Too many connections from your address')
    three.close()
    four.close()
  } finally {
    one.close()
    two.close()
  }
})

test('property: random lines get an answer and never break the session', async () => {
  let c = await connect()
  let sent = 0
  try {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 120 }), async (bytes) => {
      if (sent++ % 15 === 0) {
        c.close()
        c = await connect()
      }
      // No CR/LF inside; no trailing "}" (a literal announcement waits for its bytes).
      const line = Buffer.from(bytes.filter((b) => b !== 0x0a && b !== 0x0d))
      if (line.length === 0 || line[line.length - 1] === 0x7d) return
      c.send(Buffer.concat([line, Buffer.from('\r\n')]))
      const result = await c.command('zz', 'NOOP')
      assert.equal(result.tagged, 'zz OK NOOP completed')
      for (const l of result.lines) assert.match(l, /^(\S+ (BAD|NO|OK)|\* (BAD|OK|CAPABILITY|ID|ENABLED|NAMESPACE))/)
    }), { numRuns: 150 })
    assert.ok(sent >= 150, `ran ${sent} cases`)
  } finally {
    c.close()
  }
})

test('quota: GETQUOTAROOT reports usage in KiB; an APPEND over quota gets NO [OVERQUOTA]', async () => {
  await limited.addUser('carol@example.test', 'carol-secret', { quotaBytes: 4096 })
  const c = await connect(limited)
  try {
    await c.expectTagged('a', 'LOGIN carol@example.test carol-secret')
    const body = 'Subject: q\r\n\r\n' + 'x'.repeat(3000) + '\r\n'
    await c.expectTagged('b', `APPEND INBOX {${body.length}+}\r\n${body}`)
    assert.deepEqual(await c.expectTagged('c', 'GETQUOTAROOT INBOX'), ['* QUOTAROOT INBOX ""', '* QUOTA "" (STORAGE 3 4)'])
    assert.match((await c.command('d', `APPEND INBOX {${body.length}+}\r\n${body}`)).tagged, /^d NO \[OVERQUOTA\] /)
    await c.expectTagged('e', 'NOOP')
  } finally {
    c.close()
  }
})

test('slowloris: a client trickling a LOGIN byte by byte is cut at imap.login_timeout', async () => {
  const quick = await startTestServer({ config: { 'imap.login_timeout': '1s' } })
  const c = await connect(quick)
  try {
    let closed = false
    c.socket.once('close', () => { closed = true })
    // One byte every 200 ms keeps an idle timer happy forever; the login deadline does not reset.
    for (const ch of 'a LOGIN slow slow'.repeat(3)) {
      if (closed) break
      c.send(ch)
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(closed, 'connection still open after trickling past the login deadline')
  } finally {
    c.close()
    await quick.stop()
  }
})

/**
 * POP3 command tests over a raw socket: exact responses, state rules, [IN-USE], RSET, bad input
 * (malformed commands, a 1 MB line, commands out of state, RETR of a deleted message), limits.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LineClient } from '../../support/line-client.ts'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { sampleMessage, userWithMail } from './fixture.ts'

/** Reads a multi-line response body up to the "." line. */
async function readMultiline(client: LineClient): Promise<string[]> {
  const lines: string[] = []
  for (;;) {
    const line = await client.readLine()
    if (line === '.') return lines
    lines.push(line)
  }
}

async function command(client: LineClient, text: string | Buffer): Promise<string> {
  client.send(typeof text === 'string' ? `${text}\r\n` : text)
  return client.readLine()
}

async function login(server: TestServer, user: string, password: string): Promise<LineClient> {
  const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
  assert.match(await client.readLine(), /^\+OK/)
  assert.match(await command(client, `USER ${user}`), /^\+OK/)
  assert.match(await command(client, `PASS ${password}`), /^\+OK/)
  return client
}

describe('POP3 sessions', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer()
    await userWithMail(server, 'dora@example.test', 'pw', [sampleMessage('one'), sampleMessage('two')])
  })
  after(async () => {
    await server?.stop()
  })

  test('plaintext login before STLS is refused with [AUTH], and works after STLS', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3'])
    try {
      assert.match(await client.readLine(), /^\+OK/)
      assert.match(await command(client, 'USER dora@example.test'), /^-ERR \[AUTH\] .*STLS/)
      assert.match(await command(client, 'AUTH PLAIN AGRvcmFAZXhhbXBsZS50ZXN0AHB3'), /^-ERR \[AUTH\]/)
      assert.match(await command(client, 'STAT'), /^-ERR .*AUTHORIZATION/)
      assert.match(await command(client, 'STLS'), /^\+OK/)
      await client.upgrade()
      assert.match(await command(client, 'AUTH PLAIN AGRvcmFAZXhhbXBsZS50ZXN0AHB3'), /^\+OK/)
      assert.match(await command(client, 'STLS'), /^-ERR/)
      assert.match(await command(client, 'QUIT'), /^\+OK/)
    } finally {
      client.close()
    }
  })

  test('commands pipelined after STLS in the clear are discarded, not executed', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3'])
    try {
      await client.readLine()
      client.send('STLS\r\nCAPA\r\n')
      assert.match(await client.readLine(), /^\+OK Begin TLS/)
      await client.upgrade()
      // Had the plaintext CAPA run, its "+OK Capability list follows" would come first.
      assert.match(await command(client, 'QUIT'), /^\+OK Tidings POP3 server signing off/)
    } finally {
      client.close()
    }
  })

  test('garbage instead of a TLS handshake after STLS closes that connection only', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3'])
    await client.readLine()
    assert.match(await command(client, 'STLS'), /^\+OK/)
    client.send('this is not a ClientHello\r\n')
    await assert.rejects(client.readLine(), /connection closed/)
    client.close()
    const next = await LineClient.connect(server.ports['listen.pop3'])
    assert.match(await next.readLine(), /^\+OK Tidings POP3 server ready/)
    next.close()
  })

  test('AUTH LOGIN with challenges, AUTH cancel, and wrong passwords get [AUTH]', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    try {
      await client.readLine()
      assert.equal(await command(client, 'AUTH PLAIN'), '+ ')
      assert.match(await command(client, '*'), /^-ERR .*cancelled/)
      assert.match(await command(client, 'USER dora@example.test'), /^\+OK/)
      assert.match(await command(client, 'PASS wrong'), /^-ERR \[AUTH\] Authentication failed/)
      assert.match(await command(client, 'PASS pw'), /^-ERR USER first/)
      assert.equal(await command(client, 'AUTH LOGIN'), '+ VXNlcm5hbWU6')
      assert.equal(await command(client, Buffer.from('dora@example.test').toString('base64')), '+ UGFzc3dvcmQ6')
      assert.match(await command(client, Buffer.from('pw').toString('base64')), /^\+OK Logged in, 2 messages/)
      client.send('AUTH\r\n')
      assert.match(await client.readLine(), /^-ERR .*TRANSACTION/)
      assert.match(await command(client, 'QUIT'), /^\+OK/)
    } finally {
      client.close()
    }
  })

  test('a second session on the same mailbox gets -ERR [IN-USE]; after QUIT it can log in', async () => {
    const first = await login(server, 'dora@example.test', 'pw')
    const second = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    try {
      await second.readLine()
      await command(second, 'USER dora@example.test')
      assert.match(await command(second, 'PASS pw'), /^-ERR \[IN-USE\]/)
      assert.match(await command(first, 'QUIT'), /^\+OK/)
      await command(second, 'USER dora@example.test')
      assert.match(await command(second, 'PASS pw'), /^\+OK/)
      assert.match(await command(second, 'QUIT'), /^\+OK/)
    } finally {
      first.close()
      second.close()
    }
  })

  test('a dropped connection releases the lock and deletes nothing', async () => {
    const client = await login(server, 'dora@example.test', 'pw')
    assert.match(await command(client, 'DELE 1'), /^\+OK/)
    client.close()
    // The server notices the close; the next login must eventually succeed with both messages.
    let answer = ''
    for (let i = 0; i < 50; i++) {
      const again = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
      await again.readLine()
      await command(again, 'USER dora@example.test')
      answer = await command(again, 'PASS pw')
      if (answer.startsWith('+OK')) {
        assert.equal(await command(again, 'STAT'), `+OK 2 ${answer.match(/\((\d+) octets\)/)![1]}`)
        await command(again, 'QUIT')
        again.close()
        break
      }
      again.close()
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.match(answer, /^\+OK Logged in, 2 messages/)
  })

  test('LIST/UIDL of one message, TOP, DELE then RETR of it is -ERR and the session goes on; RSET undeletes', async () => {
    const client = await login(server, 'dora@example.test', 'pw')
    try {
      assert.match(await command(client, 'LIST 2'), /^\+OK 2 \d+$/)
      assert.match(await command(client, 'UIDL 1'), /^\+OK 1 [0-9a-f]{8}\.[0-9a-f]{8}$/)
      assert.match(await command(client, 'TOP 1 0'), /^\+OK/)
      const head = await readMultiline(client)
      assert.equal(head[head.length - 1], '')
      assert.ok(head.includes('Subject: one'))
      assert.match(await command(client, 'DELE 1'), /^\+OK/)
      assert.match(await command(client, 'DELE 1'), /^-ERR Message 1 already deleted/)
      assert.match(await command(client, 'RETR 1'), /^-ERR/)
      assert.match(await command(client, 'LIST 1'), /^-ERR/)
      assert.match(await command(client, 'LIST'), /^\+OK 1 messages/)
      assert.deepEqual((await readMultiline(client)).map((l) => l.split(' ')[0]), ['2'])
      assert.match(await command(client, 'RETR 3'), /^-ERR No such message 3/)
      assert.match(await command(client, 'RETR 0'), /^-ERR Invalid message number/)
      assert.match(await command(client, 'RETR'), /^-ERR Message number required/)
      assert.match(await command(client, 'TOP 2 -1'), /^-ERR/)
      assert.match(await command(client, 'RSET'), /^\+OK Maildrop has 2 messages/)
      assert.match(await command(client, 'RETR 1'), /^\+OK \d+ octets/)
      const lines = await readMultiline(client)
      // The raw wire keeps the dot-stuffing: ".leading dot" → "..leading dot", "." → "..".
      assert.ok(lines.includes('..leading dot'))
      assert.ok(lines.includes('..'))
      assert.match(await command(client, 'NOOP'), /^\+OK/)
      assert.match(await command(client, 'USER x'), /^-ERR .*TRANSACTION/)
      assert.match(await command(client, 'STLS'), /^-ERR .*TRANSACTION/)
      assert.match(await command(client, 'QUIT'), /^\+OK .*\(2 messages left\)/)
    } finally {
      client.close()
    }
  })

  test('malformed commands and a 1 MB line get -ERR and the session goes on', async () => {
    const client = await login(server, 'dora@example.test', 'pw')
    try {
      for (const bad of ['', 'FOO', '123', 'RETR x', 'LIST 99999999999', 'RE\x00TR 1', 'DELE -1', 'TOP 1']) {
        assert.match(await command(client, bad), /^-ERR/, JSON.stringify(bad))
      }
      client.send('X'.repeat(1024 * 1024) + '\r\n')
      assert.match(await client.readLine(), /^-ERR Line too long/)
      assert.match(await command(client, Buffer.from([0xff, 0xfe, 0x0d, 0x0a])), /^-ERR/)
      assert.match(await command(client, 'STAT'), /^\+OK 2 \d+$/)
      assert.match(await command(client, 'QUIT'), /^\+OK/)
    } finally {
      client.close()
    }
  })

  test('random command lines in TRANSACTION never break the session', async () => {
    const verbs = fc.constantFrom('STAT', 'LIST', 'UIDL', 'RETR', 'TOP', 'DELE', 'RSET', 'NOOP', 'CAPA', 'XYZZY', 'retr', 'Top')
    const arg = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -3, max: 5 }).map(String), fc.constant('4294967296'))
    const line = fc.tuple(verbs, fc.array(arg, { maxLength: 3 })).map(([v, a]) => [v, ...a].join(' ').replace(/[\r\n]/g, ''))
    const batches = fc.sample(fc.array(line, { minLength: 15, maxLength: 15 }), { numRuns: 4, seed: 1939 })
    for (const batch of batches) {
      const client = await login(server, 'dora@example.test', 'pw')
      try {
        for (const text of batch) {
          // A unique answer after each line shows where its response ends, multi-line or not.
          client.send(`${text}\r\nLIST 999999\r\n`)
          let line: string
          do line = await client.readLine()
          while (line !== '-ERR No such message 999999')
        }
        assert.match(await command(client, 'RSET'), /^\+OK Maildrop has 2 messages/)
        assert.match(await command(client, 'QUIT'), /^\+OK/)
      } finally {
        client.close()
      }
    }
  })

  test('too many invalid commands end the session without deleting anything', async () => {
    const client = await login(server, 'dora@example.test', 'pw')
    try {
      assert.match(await command(client, 'DELE 1'), /^\+OK/)
      let last = ''
      for (let i = 0; i < 25 && !client.closed; i++) {
        try {
          last = await command(client, 'BOGUS')
        } catch {
          break
        }
      }
      assert.match(last, /^-ERR Too many invalid commands/)
    } finally {
      client.close()
    }
    const again = await waitForLogin(server, 'dora@example.test', 'pw')
    assert.match(again.greeting, /2 messages/)
    again.client.close()
  })

  test('three failed logins close the connection', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    try {
      await client.readLine()
      for (let i = 0; i < 2; i++) {
        await command(client, 'USER nobody@example.test')
        assert.match(await command(client, 'PASS nope'), /^-ERR \[AUTH\] Authentication failed/)
      }
      await command(client, 'USER nobody@example.test')
      assert.match(await command(client, 'PASS nope'), /^-ERR \[AUTH\] Authentication failed/)
      assert.match(await client.readLine(), /^-ERR \[AUTH\] Too many failed logins/)
    } finally {
      client.close()
    }
  })

  test('a message expunged by another client during the session: RETR gets -ERR and the session goes on', async () => {
    const account = await userWithMail(server, 'hank@example.test', 'pw', [sampleMessage('h1'), sampleMessage('h2')])
    const client = await login(server, 'hank@example.test', 'pw')
    try {
      const inbox = (await server.ctx.store.folders.byRole(account, 'inbox'))!
      const [first] = await server.ctx.store.emails.list(account, inbox.id)
      assert.deepEqual(await server.ctx.store.emails.expunge(account, inbox.id, [first.uid]), [first.uid])
      assert.match(await command(client, 'RETR 1'), /^-ERR/)
      assert.match(await command(client, 'RETR 2'), /^\+OK/)
      await readMultiline(client)
      assert.match(await command(client, 'DELE 1'), /^\+OK/)
      assert.match(await command(client, 'QUIT'), /^\+OK .*\(1 messages left\)/)
      assert.equal((await server.ctx.store.emails.list(account, inbox.id)).length, 1)
    } finally {
      client.close()
    }
  })

  test('CAPA before login over TLS offers USER and SASL, and after login neither', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    try {
      await client.readLine()
      assert.match(await command(client, 'CAPA'), /^\+OK/)
      const before = await readMultiline(client)
      assert.ok(before.includes('USER') && before.includes('SASL PLAIN LOGIN') && !before.includes('STLS'))
      await command(client, 'USER dora@example.test')
      await waitUnlocked(client)
      assert.match(await command(client, 'CAPA'), /^\+OK/)
      const after = await readMultiline(client)
      assert.ok(!after.includes('USER') && after.includes('UIDL') && after.includes('TOP'))
      await command(client, 'QUIT')
    } finally {
      client.close()
    }
  })
})

describe('POP3 from a trusted network', () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'], 'pop3.max_connections_per_ip': 3 } })
    await userWithMail(server, 'ivy@example.test', 'pw', [sampleMessage('trusted')])
  })

  test('connections past pop3.max_connections_per_ip are refused with -ERR [SYS/TEMP]', async () => {
    const open: LineClient[] = []
    try {
      for (let i = 0; i < 3; i++) {
        // Counted per listener (src/access/line/listener.ts keeps one table per listener).
        const client = await LineClient.connect(server.ports['listen.pop3'])
        assert.match(await client.readLine(), /^\+OK/)
        open.push(client)
      }
      const extra = await LineClient.connect(server.ports['listen.pop3'])
      open.push(extra)
      assert.match(await extra.readLine(), /^-ERR \[SYS\/TEMP\] Too many connections/)
    } finally {
      for (const client of open) client.close()
    }
    // Slots come back once the server has seen the closes.
    for (let i = 0; ; i++) {
      const client = await LineClient.connect(server.ports['listen.pop3'])
      const greeting = await client.readLine().catch(() => '')
      client.close()
      if (greeting.startsWith('+OK')) break
      assert.ok(i < 50, 'connection slots were never released')
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  after(async () => {
    await server?.stop()
  })

  test('plaintext USER/PASS is allowed without TLS, and CAPA says so', async () => {
    const client = await LineClient.connect(server.ports['listen.pop3'])
    try {
      await client.readLine()
      assert.match(await command(client, 'CAPA'), /^\+OK/)
      const caps = await readMultiline(client)
      assert.ok(caps.includes('USER') && caps.includes('STLS'))
      assert.match(await command(client, 'USER ivy@example.test'), /^\+OK/)
      assert.match(await command(client, 'PASS pw'), /^\+OK Logged in, 1 messages/)
      assert.match(await command(client, 'QUIT'), /^\+OK/)
    } finally {
      client.close()
    }
  })

  test('a server shutdown says -ERR [SYS/TEMP] to a session in TRANSACTION and deletes nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tidings-pop3-shutdown-'))
    try {
      const first = await startTestServer({ dataDir, config: { trusted_networks: ['127.0.0.0/8'] } })
      const account = await userWithMail(first, 'jay@example.test', 'pw', [sampleMessage('kept')])
      const client = await LineClient.connect(first.ports['listen.pop3'])
      try {
        await client.readLine()
        await command(client, 'USER jay@example.test')
        assert.match(await command(client, 'PASS pw'), /^\+OK/)
        assert.match(await command(client, 'DELE 1'), /^\+OK/)
        const stopping = first.stop()
        assert.match(await client.readLine(), /^-ERR \[SYS\/TEMP\] Server shutting down/)
        await stopping
      } finally {
        client.close()
      }
      const second = await startTestServer({ dataDir })
      try {
        const inbox = (await second.ctx.store.folders.byRole(account, 'inbox'))!
        assert.equal((await second.ctx.store.emails.list(account, inbox.id)).length, 1)
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

/** PASS, retrying while a just-closed session still holds the lock. */
async function waitUnlocked(client: LineClient): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const answer = await command(client, 'PASS pw')
    if (answer.startsWith('+OK')) return
    assert.match(answer, /\[IN-USE\]/)
    await new Promise((r) => setTimeout(r, 20))
    await command(client, 'USER dora@example.test')
  }
  throw new Error('mailbox stayed locked')
}

async function waitForLogin(server: TestServer, user: string, password: string): Promise<{ client: LineClient; greeting: string }> {
  for (let i = 0; i < 50; i++) {
    const client = await LineClient.connect(server.ports['listen.pop3s'], { tls: true })
    await client.readLine()
    await command(client, `USER ${user}`)
    const answer = await command(client, `PASS ${password}`)
    if (answer.startsWith('+OK')) return { client, greeting: answer }
    client.close()
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('could not log in')
}

/**
 * The full-mix hang (issue #8): FETCH BODY[] read a message's metadata, wrote `* n FETCH (BODY[]
 * {size}`, then read the body; when another session's EXPUNGE landed in between, the body read
 * failed after the literal was announced, the tagged NO went out inside the promised literal and
 * the client waited forever for the rest of it. Here the EXPUNGE is made to land exactly there.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { LineClient } from '../../support/line-client.ts'

function message(n: number): Buffer {
  return Buffer.from(`From: a@example.test\r\nTo: b@example.test\r\nSubject: race ${n}\r\nMessage-ID: <race.${n}@example.test>\r\n\r\nbody of message ${n}, unique so its blob is its own\r\n`)
}

interface Fixture {
  server: TestServer
  client: LineClient
  /** The next body read of the store first expunges this UID (as another session would). */
  expungeOnRead: (uid: number) => void
  append: (n: number) => Promise<void>
}

async function setUp(): Promise<Fixture> {
  const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  const user = await server.addUser('race@example.test', 'secret')
  const store = server.ctx.store
  const inbox = (await store.folders.byRole(user.id, 'inbox'))!
  for (let n = 1; n <= 3; n++) await store.emails.append(user.id, inbox.id, { raw: message(n), keywords: [] })
  // Another session's EXPUNGE commits between the FETCH's metadata read and its body read.
  let victim = 0
  const emails = store.emails
  const body = emails.body.bind(emails)
  const stream = emails.stream.bind(emails)
  const expungeFirst = async () => {
    if (victim) await emails.expunge(user.id, inbox.id, [victim])
    victim = 0
  }
  emails.body = async (...args) => { await expungeFirst(); return body(...args) }
  emails.stream = async (...args) => { await expungeFirst(); return stream(...args) }
  const client = await LineClient.connect(server.ports['listen.imap'])
  await client.readLine()
  await client.expectTagged('a', 'LOGIN race@example.test secret')
  await client.expectTagged('b', 'SELECT INBOX')
  return {
    server,
    client,
    expungeOnRead: (uid) => { victim = uid },
    append: async (n) => { await emails.append(user.id, inbox.id, { raw: message(n), keywords: [] }) },
  }
}

test('FETCH BODY[] of a message expunged meanwhile answers NO [EXPUNGEISSUED] and the session stays in step', async () => {
  const { server, client, expungeOnRead } = await setUp()
  try {
    expungeOnRead(2)
    const fetched = await client.command('c', 'FETCH 1:3 BODY.PEEK[]')
    assert.match(fetched.tagged, /^c NO \[EXPUNGEISSUED\]/)
    const bodies = fetched.lines.filter((l) => /^\* \d+ FETCH/.test(l))
    assert.equal(bodies.length, 2, JSON.stringify(fetched.lines))
    assert.ok(bodies[0].includes('race 1') && bodies[1].includes('race 3'), JSON.stringify(bodies))
    // The connection is still in step: the next command gets its own answer, with the expunge.
    const noop = await client.expectTagged('d', 'NOOP')
    assert.deepEqual(noop, ['* 2 EXPUNGE'])
    await client.expectTagged('e', 'FETCH 2 BODY.PEEK[]')
  } finally {
    client.close()
    await server.stop()
  }
})

test('BODY[TEXT], partial BODY[]<n.m> and RFC822 of a message expunged meanwhile keep the session in step', async () => {
  const { server, client, expungeOnRead, append } = await setUp()
  try {
    let tag = 0
    for (const items of ['BODY.PEEK[TEXT]', 'BODY.PEEK[]<0.10>', 'RFC822', '(UID BODY.PEEK[1])']) {
      expungeOnRead(1)
      const t = `t${++tag}`
      const fetched = await client.command(t, `UID FETCH 1:* ${items}`)
      assert.match(fetched.tagged, new RegExp(`^${t} (NO \\[EXPUNGEISSUED\\]|OK)`), `${items}: ${fetched.tagged}`)
      for (const line of fetched.lines) assert.match(line, /^\* \d+ (FETCH \(.*\)|EXPUNGE)$/s, `${items}: ${line}`)
      await client.expectTagged(`n${tag}`, 'NOOP')
      // Put a message back so the next round has one to lose.
      await append(10 + tag)
      await client.expectTagged(`m${tag}`, 'NOOP')
    }
  } finally {
    client.close()
    await server.stop()
  }
})

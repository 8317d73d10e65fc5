/**
 * STORE that changes nothing is answered without a write (no commit, no fsync wait), and reports
 * exactly what a STORE through the store would: nothing for unchanged messages.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer, type TestServer } from '../../../../test/support/start-server.ts'
import { LineClient } from '../../../../test/support/line-client.ts'

let server: TestServer
before(async () => {
  server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  await server.addUser('carol@example.test', 'carol-secret')
})
after(() => server.stop())

test('a no-op STORE commits nothing; a real one still does, and both report as before', async () => {
  const c = await LineClient.connect(server.ports['listen.imap'])
  try {
    await c.readLine()
    await c.expectTagged('a', 'LOGIN carol@example.test carol-secret')
    const msg = 'From: a@example.test\r\nSubject: hi\r\n\r\nhello\r\n'
    c.send(`b APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`)
    await c.readTagged('b')
    await c.expectTagged('c', 'SELECT INBOX (CONDSTORE)')
    const engine = server.server.data.engine
    const first = await c.expectTagged('d', 'STORE 1 +FLAGS (\\Seen \\Flagged)')
    assert.match(first.join('\n'), /^\* 1 FETCH \(FLAGS \(\\Flagged \\Seen\) MODSEQ \((\d+)\)\)$/)
    const commits = engine.commits
    assert.deepEqual(await c.expectTagged('e', 'STORE 1 +FLAGS (\\seen)'), [])
    assert.deepEqual(await c.expectTagged('f', 'STORE 1 -FLAGS (\\Deleted)'), [])
    assert.deepEqual(await c.expectTagged('g', 'UID STORE 1:* +FLAGS.SILENT (\\Flagged)'), [])
    assert.equal(engine.commits, commits, 'no-op STOREs must not write')
    const removed = await c.expectTagged('h', 'STORE 1 -FLAGS (\\Flagged)')
    assert.match(removed.join('\n'), /^\* 1 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/)
    assert.ok(engine.commits > commits)
    const fetched = await c.expectTagged('i', 'FETCH 1 (FLAGS)')
    assert.match(fetched.join('\n'), /FLAGS \(\\Seen\)/)
    // UNCHANGEDSINCE always goes through the store (it must re-check inside the write).
    await c.expectTagged('j', 'STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)')
  } finally {
    c.close()
  }
})

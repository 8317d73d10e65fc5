import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startTestServer } from '../support/start-server.ts'

test('startTestServer: temp data dir, example.test, users with mailboxes, listeners on loopback; stop cleans up', async () => {
  const server = await startTestServer()
  try {
    assert.ok(existsSync(server.dataDir))
    assert.equal(await server.ctx.directory.isLocalDomain('example.test'), true)
    const alice = await server.addUser('alice@example.test', 'alice-pw')
    const inbox = await server.ctx.store.folders.byRole(alice.id, 'inbox')
    assert.ok(inbox, 'the store account has an inbox')
    const principal = await server.ctx.directory.authenticate({ username: 'alice@example.test', password: 'alice-pw' }, { remote: '127.0.0.1', protocol: 'imap' })
    assert.equal(principal.id, alice.id)
    for (const [key, port] of Object.entries(server.ports)) {
      assert.match(key, /^listen\./)
      const socket = connect(port, '127.0.0.1')
      await once(socket, 'connect')
      socket.destroy()
    }
    assert.equal(server.ctx.config.string('hostname'), 'mail.example.test')
    assert.equal(server.ctx.config.boolean('durable'), true)
  } finally {
    await server.stop()
  }
  assert.equal(existsSync(server.dataDir), false)
})

test('two test servers run side by side on different ports and data dirs', async () => {
  const [a, b] = await Promise.all([startTestServer(), startTestServer()])
  try {
    assert.notEqual(a.dataDir, b.dataDir)
    await a.addUser('same@example.test', 'pw')
    await b.addUser('same@example.test', 'pw')
    for (const key of Object.keys(a.ports)) assert.notEqual(a.ports[key], b.ports[key])
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
})

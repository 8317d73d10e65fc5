/**
 * POP3 with clients we did not write: curl (pop3:// with STLS required, pop3s://) and fetchmail
 * (retrieve, hand to an MDA, delete on the server).
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../../support/start-server.ts'
import { run, sampleMessage, userWithMail } from './fixture.ts'

const FETCHMAIL = '/usr/bin/fetchmail'

describe('POP3 with curl and fetchmail', () => {
  let server: TestServer
  let dir: string
  before(async () => {
    server = await startTestServer()
    dir = mkdtempSync(join(tmpdir(), 'tidings-pop3-clients-'))
  })
  after(async () => {
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('curl pop3:// with --ssl-reqd (STLS) lists and retrieves; pop3s:// retrieves', async () => {
    await userWithMail(server, 'erin@example.test', 'pw', [sampleMessage('curl one'), sampleMessage('curl two')])
    const base = ['-sS', '-k', '--max-time', '30', '-u', 'erin@example.test:pw']
    const listing = await run('curl', [...base, '--ssl-reqd', `pop3://127.0.0.1:${server.ports['listen.pop3']}/`])
    assert.equal(listing.code, 0, listing.stderr)
    assert.match(listing.stdout, /^1 \d+\r\n2 \d+\r\n$/)
    const second = await run('curl', [...base, '--ssl-reqd', `pop3://127.0.0.1:${server.ports['listen.pop3']}/2`])
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, sampleMessage('curl two').toString())
    const first = await run('curl', [...base, `pop3s://127.0.0.1:${server.ports['listen.pop3s']}/1`])
    assert.equal(first.code, 0, first.stderr)
    assert.equal(first.stdout, sampleMessage('curl one').toString())
    // Without TLS and without trust, curl cannot log in in the clear.
    const plain = await run('curl', ['-sS', '--max-time', '30', '-u', 'erin@example.test:pw', `pop3://127.0.0.1:${server.ports['listen.pop3']}/1`])
    assert.notEqual(plain.code, 0)
  })

  test('fetchmail retrieves every message into its MDA and deletes them on the server', { skip: !existsSync(FETCHMAIL) && 'fetchmail is not installed' }, async () => {
    const account = await userWithMail(server, 'fred@example.test', 'fetch pw', [sampleMessage('fetch one'), sampleMessage('fetch two'), sampleMessage('fetch three')])
    const mbox = join(dir, 'fred.mbox')
    const rc = join(dir, 'fetchmailrc')
    writeFileSync(rc, [
      `poll 127.0.0.1 proto POP3 service ${server.ports['listen.pop3s']} auth password`,
      `  user "fred@example.test" there with password "fetch pw" is "fred" here`,
      `  ssl no sslcertck`,
      `  mda "cat >> ${mbox}"`,
      `  nokeep`,
      '',
    ].join('\n'), { mode: 0o600 })
    const result = await run(FETCHMAIL, ['-f', rc, '--nodetach', '--silent', '--pidfile', join(dir, 'fetchmail.pid')], {
      env: { ...process.env, HOME: dir, FETCHMAILHOME: dir },
    })
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const delivered = readFileSync(mbox, 'latin1')
    for (const subject of ['fetch one', 'fetch two', 'fetch three']) assert.ok(delivered.includes(`Subject: ${subject}`), subject)
    assert.ok(delivered.includes('.leading dot'), 'dot-stuffing undone by the client')
    const inbox = (await server.ctx.store.folders.byRole(account, 'inbox'))!
    assert.deepEqual(await server.ctx.store.emails.list(account, inbox.id), [])
  })

  test('fetchmail over STLS on the plain port', { skip: !existsSync(FETCHMAIL) && 'fetchmail is not installed' }, async () => {
    const account = await userWithMail(server, 'gina@example.test', 'pw', [sampleMessage('stls one')])
    const mbox = join(dir, 'gina.mbox')
    const rc = join(dir, 'fetchmailrc-stls')
    writeFileSync(rc, [
      `poll 127.0.0.1 proto POP3 service ${server.ports['listen.pop3']} auth password`,
      `  user "gina@example.test" there with password "pw" is "gina" here`,
      `  sslproto "tls1.2+" no sslcertck`,
      `  mda "cat >> ${mbox}"`,
      `  nokeep`,
      '',
    ].join('\n'), { mode: 0o600 })
    const result = await run(FETCHMAIL, ['-f', rc, '--nodetach', '--silent', '--pidfile', join(dir, 'fetchmail-stls.pid')], {
      env: { ...process.env, HOME: dir, FETCHMAILHOME: dir },
    })
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.ok(readFileSync(mbox, 'latin1').includes('Subject: stls one'))
    const inbox = (await server.ctx.store.folders.byRole(account, 'inbox'))!
    assert.deepEqual(await server.ctx.store.emails.list(account, inbox.id), [])
  })
})

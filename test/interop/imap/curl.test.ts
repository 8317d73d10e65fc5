/** Interop with curl's IMAP client: list mailboxes and fetch a message, over STARTTLS and IMAPS. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startTestServer, type TestServer } from '../../support/start-server.ts'

const run = promisify(execFile)
let server: TestServer
const RAW = 'From: Carol <carol@example.test>\r\nTo: dave@example.test\r\nSubject: For curl\r\n\r\nBody fetched by curl.\r\n'
// A 3 MB message: BODY[] is streamed from the blob store with backpressure.
const BIG = 'From: Carol <carol@example.test>\r\nSubject: Big\r\n\r\n' + Array.from({ length: 40_000 }, (_, i) => `line ${i} `.padEnd(76, 'x')).join('\r\n') + '\r\n'

before(async () => {
  server = await startTestServer()
  const dave = await server.addUser('dave@example.test', 'dave-secret')
  const inbox = await server.ctx.store.folders.byPath(dave.id, 'INBOX')
  await server.ctx.store.emails.append(dave.id, inbox!.id, { raw: Buffer.from(RAW) })
  await server.ctx.store.emails.append(dave.id, inbox!.id, { raw: Buffer.from(BIG) })
})
after(() => server.stop())

const curl = (url: string, ...extra: string[]) =>
  run('curl', ['-sS', '-k', '--max-time', '20', '--user', 'dave@example.test:dave-secret', ...extra, url], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 })

test('curl imap:// with STARTTLS lists mailboxes', async () => {
  const { stdout } = await curl(`imap://127.0.0.1:${server.ports['listen.imap']}/`, '--ssl-reqd')
  const lines = stdout.trim().split(/\r?\n/)
  assert.ok(lines.includes('* LIST (\\HasNoChildren) "/" INBOX'), stdout)
  assert.ok(lines.includes('* LIST (\\HasNoChildren \\Trash) "/" Trash'), stdout)
})

test('curl imap:// with STARTTLS fetches a message by UID, byte for byte', async () => {
  const { stdout } = await curl(`imap://127.0.0.1:${server.ports['listen.imap']}/INBOX;UID=1`, '--ssl-reqd')
  assert.equal(stdout, RAW)
})

test('curl imaps:// fetches a 3 MB message byte for byte', async () => {
  const { stdout } = await curl(`imaps://127.0.0.1:${server.ports['listen.imaps']}/INBOX;UID=2`)
  assert.equal(stdout.length, BIG.length)
  assert.ok(stdout === BIG)
})

test('curl imaps:// fetches a section and runs a SEARCH', async () => {
  const base = `imaps://127.0.0.1:${server.ports['listen.imaps']}/INBOX`
  const { stdout: text } = await curl(`${base};UID=1;SECTION=TEXT`)
  assert.equal(text, 'Body fetched by curl.\r\n')
  const { stdout: found } = await curl(`${base}?SUBJECT%20curl`)
  assert.equal(found.trim(), '* SEARCH 1')
})

test('curl without TLS is refused on an untrusted network (LOGINDISABLED)', async () => {
  await assert.rejects(curl(`imap://127.0.0.1:${server.ports['listen.imap']}/`))
})

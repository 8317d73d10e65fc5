/**
 * `tidings queue` and `tidings track` as an operator runs them (a subprocess) while the server
 * runs: list, show, retry, bounce (DSN to the sender), delete, and the tracking search.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import nodemailer from 'nodemailer'
import type { Principal } from '../../../src/directory/directory.ts'
import { runCli, runCliJson } from '../../support/cli.ts'
import { startSmtpFixture, type SmtpFixture } from './fixture.ts'
import { stubResolver } from './sink.ts'
import { QueueStore } from '../../../src/transport/queue/queue-store.ts'

let f: SmtpFixture
let alice: Principal

/** A port nobody listens on: every delivery attempt fails to connect (deferred). */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

before(async () => {
  f = await startSmtpFixture({
    config: { 'queue.retry_first': '1h' },
    transport: { resolver: stubResolver(), routes: { '*': { type: 'mx', port: await deadPort() } }, outboundTimeoutMs: 2_000 },
  })
  alice = await f.addUser('alice@example.test', 'alice-password-1')
})
after(async () => { await f?.stop() })

async function send(subject: string): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: f.ports.submissions, secure: true, auth: { user: 'alice@example.test', pass: 'alice-password-1' }, tls: { rejectUnauthorized: false } })
  await t.sendMail({ from: 'alice@example.test', to: 'zed@remote.test', subject, text: 'x', messageId: `<${subject.replace(/ /g, '-')}@example.test>` })
  t.close()
}

interface Listed { id: string; sender: string; recipients: Array<{ address: string; state: string; attempts: number; lastReply: string | null }> }

async function listed(): Promise<Listed[]> {
  return runCliJson<Listed[]>(['queue', 'list'], { dataDir: f.dataDir })
}

/** Waits in-process (cheap) until some message has had `attempts` attempts; returns its id. */
async function attempted(attempts: number, id?: string): Promise<string> {
  const store = new QueueStore(f.data.engine)
  const found = await f.until(async () => (await store.list()).find((m) => (id === undefined || m.id === id) && m.recipients[0]?.attempts >= attempts), `attempt ${attempts}`)
  return found.id
}

test('queue list shows a deferred message with its last reply; show has its events', async () => {
  await send('cli one')
  const id = await attempted(1)
  const entry = (await listed()).find((m) => m.id === id)!
  assert.equal(entry.sender, 'alice@example.test')
  assert.equal(entry.recipients[0].address, 'zed@remote.test')
  assert.equal(entry.recipients[0].state, 'queued')
  assert.match(entry.recipients[0].lastReply ?? '', /^451 4\.4\.1/)
  const human = await runCli(['queue', 'list'], { dataDir: f.dataDir })
  assert.equal(human.code, 0)
  assert.match(human.stdout, new RegExp(`${entry.id} .*<alice@example.test>.*1/1 pending`))
  const shown = await runCliJson<{ events: Array<{ event: string }> }>(['queue', 'show', entry.id], { dataDir: f.dataDir })
  assert.deepEqual(shown.events.map((e) => e.event), ['received', 'deferred'])
})

test('queue retry makes it due now: the running server tries again', async () => {
  const [entry] = await listed()
  const result = await runCli(['queue', 'retry', entry.id], { dataDir: f.dataDir })
  assert.equal(result.code, 0, result.stderr)
  await attempted(2, entry.id)
})

test('queue bounce fails it now and the sender gets a DSN', async () => {
  const [entry] = await listed()
  const result = await runCli(['queue', 'bounce', entry.id], { dataDir: f.dataDir })
  assert.equal(result.code, 0, result.stderr)
  const dsn = await f.until(async () => (await f.inbox(alice)).find((m) => /multipart\/report/.test(m.raw.toString())), 'the DSN')
  assert.match(dsn.raw.toString(), /Returned to sender by the administrator/)
  assert.equal(await new QueueStore(f.data.engine).message(entry.id), undefined)
})

test('queue delete removes it silently; track shows the whole story', async () => {
  await send('cli two')
  const entry = { id: await attempted(1) }
  const result = await runCli(['queue', 'delete', entry.id], { dataDir: f.dataDir })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(await new QueueStore(f.data.engine).message(entry.id), undefined)
  const events = await runCliJson<Array<{ event: string; queueId: string }>>(['track', '--message-id', '<cli-two@example.test>'], { dataDir: f.dataDir })
  assert.deepEqual(events.map((e) => e.event), ['received', 'deferred', 'deleted'])
  const bySender = await runCliJson<Array<{ event: string }>>(['track', '--from', 'alice@example.test', '--since', '1h'], { dataDir: f.dataDir })
  assert.ok(bySender.filter((e) => e.event === 'received').length >= 2)
  const dsn = await runCliJson<Array<{ event: string }>>(['track', '--from', '', '--to', 'alice@example.test'], { dataDir: f.dataDir })
  assert.deepEqual(dsn.map((e) => e.event), ['received', 'delivered'])
})

test('queue show of an unknown id: exit 1 with one line', async () => {
  const result = await runCli(['queue', 'show', 'NOPE-123'], { dataDir: f.dataDir })
  assert.equal(result.code, 1)
  assert.equal(result.stderr.trim().split('\n').length, 1)
  assert.match(result.stderr, /No queued message NOPE-123/)
})

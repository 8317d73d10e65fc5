/**
 * IMAP migration against a second Tidings on loopback (STARTTLS, self-signed certificate):
 * nested folders, a non-ASCII name, custom keywords, internal dates, ~200 messages; then an
 * incremental run, a server that drops mid-migration (the next run resumes), wrong credentials.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../support/cli.ts'
import { startTestServer, type TestServer } from '../support/start-server.ts'
import { openFixture, sampleMessage, snapshotAccount, tempDir, type DataFixture } from './fixture.ts'
import { migrateImap, MigrationError, type ImapSource } from '../../src/admin/lifecycle/migrate-imap.ts'
import { stateFile } from '../../src/admin/lifecycle/migrate-state.ts'
import type { Snapshot } from './fixture.ts'

let source: TestServer
let target: DataFixture
let sourceAccount: number
let n = 0
const T0 = Date.UTC(2024, 0, 1)
const PASSWORD = 'old-server-password-1'

/** Folder → [messages, keywords for every third message]. */
const LAYOUT: Array<[string, number, string[]]> = [
  ['INBOX', 100, ['$seen', '$flagged']],
  ['Projects', 10, ['Work']],
  ['Projects/2025/Q1', 40, ['$answered', '$seen', 'Work', '$label1']],
  ['Résumés 日本', 20, ['$seen']],
  ['Sent', 15, ['$seen']],
  ['Deleted Items', 15, []],
]

async function fill(path: string, count: number, keywords: string[]): Promise<void> {
  const store = source.ctx.store
  const folder = (await store.folders.byPath(sourceAccount, path)) ?? (await store.folders.create(sourceAccount, path))
  for (let i = 0; i < count; i++) {
    n++
    await store.emails.append(sourceAccount, folder.id, { raw: sampleMessage(n), keywords: n % 3 === 0 ? keywords : [], receivedAt: T0 + n * 3_600_000 })
  }
}

function imapSource(port: number, password = PASSWORD): ImapSource {
  return { host: '127.0.0.1', port, user: 'old@example.test', password, tls: 'starttls', insecure: true }
}

/** The source's content as the target should hold it: "Deleted Items" lands in Trash. */
async function expected(): Promise<Snapshot> {
  const snap = await snapshotAccount(source.ctx.store, sourceAccount)
  snap.folders.Trash = [...snap.folders.Trash, ...snap.folders['Deleted Items']]
  delete snap.folders['Deleted Items']
  return snap
}

before(async () => {
  source = await startTestServer({ config: { durable: false } })
  sourceAccount = (await source.addUser('old@example.test', PASSWORD)).id
  for (const [path, count, keywords] of LAYOUT) await fill(path, count, keywords)
  target = await openFixture()
})

after(async () => {
  await source?.stop()
  await target?.remove()
})

test('migrates every folder, flag, keyword and internal date; a second run copies only new mail', async () => {
  const alice = await target.addUser('alice@example.test')
  const file = stateFile(target.root, 'alice@example.test', imapSource(source.ports['listen.imap']))
  const folders: string[] = []
  const report = await migrateImap({ store: target.store, account: alice, source: imapSource(source.ports['listen.imap']), stateFile: file, onFolder: (f) => folders.push(f.folder) })
  assert.equal(report.aborted, null)
  assert.deepEqual(report.failed, [])
  assert.equal(report.copied, 200)
  assert.ok(folders.includes('Résumés 日本') && folders.includes('Projects/2025/Q1'))
  assert.equal(report.folders.find((f) => f.folder === 'Deleted Items')?.target, 'Trash')
  assert.deepEqual(await snapshotAccount(target.store, alice), await expected())
  const state = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(state.folders.INBOX.lastUid, 100)

  await fill('INBOX', 3, [])
  await fill('Résumés 日本', 2, ['$flagged'])
  const again = await migrateImap({ store: target.store, account: alice, source: imapSource(source.ports['listen.imap']), stateFile: file })
  assert.equal(again.copied, 5)
  assert.equal(again.duplicates, 0)
  assert.equal(again.folders.find((f) => f.folder === 'INBOX')?.alreadyCopied, 100)
  assert.deepEqual(await snapshotAccount(target.store, alice), await expected())
})

test('a server that drops mid-migration: the run reports it, the next one resumes without duplicates', async () => {
  const carol = await target.addUser('carol@example.test')
  const total = Object.values((await expected()).folders).reduce((sum, list) => sum + list.length, 0)
  const proxy = await droppingProxy(source.ports['listen.imap'], 8_000)
  const file = stateFile(target.root, 'carol@example.test', imapSource(proxy.port))
  try {
    const first = await migrateImap({ store: target.store, account: carol, source: imapSource(proxy.port), stateFile: file })
    assert.ok(first.aborted, 'the first run notices the dropped connection')
    assert.ok(first.copied < total, `not all copied (${first.copied})`)
    assert.ok(existsSync(file))
  } finally {
    proxy.server.close()
    for (const s of proxy.sockets) s.destroy()
  }
  const second = await migrateImap({ store: target.store, account: carol, source: imapSource(source.ports['listen.imap']), stateFile: file })
  assert.equal(second.aborted, null)
  assert.equal(second.duplicates + second.copied + second.folders.reduce((s, f) => s + f.alreadyCopied, 0), total)
  assert.deepEqual(await snapshotAccount(target.store, carol), await expected())
})

test('over implicit TLS; with its state file lost, a rerun still copies nothing twice (content hashes)', async () => {
  const frank = await target.addUser('frank@example.test')
  const tls = { ...imapSource(source.ports['listen.imaps']), tls: 'implicit' as const }
  const file = stateFile(target.root, 'frank@example.test', tls)
  const first = await migrateImap({ store: target.store, account: frank, source: tls, stateFile: file })
  assert.equal(first.aborted, null)
  assert.ok(first.copied > 0)
  rmSync(file)
  const second = await migrateImap({ store: target.store, account: frank, source: tls, stateFile: file })
  assert.equal(second.copied, 0)
  assert.equal(second.duplicates, first.copied)
  assert.deepEqual(await snapshotAccount(target.store, frank), await expected())
})

test('wrong credentials: one clear error, nothing copied', async () => {
  const dave = await target.addUser('dave@example.test')
  await assert.rejects(
    migrateImap({ store: target.store, account: dave, source: imapSource(source.ports['listen.imap'], 'wrong-password'), stateFile: stateFile(target.root, 'dave', imapSource(1)) }),
    (e: Error) => e instanceof MigrationError && /^Login to old@example\.test@127\.0\.0\.1:\d+ failed/.test(e.message),
  )
  const closed = await freePort()
  await assert.rejects(
    migrateImap({ store: target.store, account: dave, source: imapSource(closed), stateFile: stateFile(target.root, 'dave', imapSource(1)) }),
    /Cannot connect to old@example\.test@127\.0\.0\.1:\d+: ECONNREFUSED/,
  )
  const inbox = await target.store.folders.byRole(dave, 'inbox')
  assert.equal((await target.store.emails.list(dave, inbox!.id)).length, 0)
})

test('tidings migrate imap --csv: every user, a line per folder, exit 0; a second run copies nothing', async () => {
  await target.addUser('erin@example.test')
  const dir = tempDir('csv')
  try {
    writeFileSync(join(dir, 'pw'), PASSWORD + '\n')
    writeFileSync(join(dir, 'users.csv'), `user,password_file,to\nold@example.test,${join(dir, 'pw')},erin@example.test\n`)
    const args = ['migrate', 'imap', '--host', '127.0.0.1', '--port', String(source.ports['listen.imap']), '--starttls', '--insecure', '--csv', join(dir, 'users.csv')]
    const first = await runCli(args, { dataDir: target.root })
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /^ {2}Deleted Items → Trash: 15 messages, 15 copied, 0 copied by an earlier run, 0 already there$/m)
    assert.match(first.stdout, /^ {2}Résumés 日本: \d+ messages, \d+ copied/m)
    assert.match(first.stdout, /^old@example\.test@127\.0\.0\.1 → erin@example\.test: \d+ copied .*, 0 already there, 0 failed$/m)
    const second = await runCli([...args, '--json'], { dataDir: target.root })
    assert.equal(second.code, 0, second.stderr)
    assert.equal(JSON.parse(second.stdout.trim().split('\n').pop()!).copied, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

/** Forwards to the real server and cuts every connection after `limit` bytes from the server. */
async function droppingProxy(port: number, limit: number): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = []
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    sockets.push(client, upstream)
    let sent = 0
    upstream.on('data', (chunk: Buffer) => {
      sent += chunk.length
      if (sent > limit) {
        client.destroy()
        upstream.destroy()
      } else client.write(chunk)
    })
    client.on('data', (chunk) => upstream.write(chunk))
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port, sockets }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

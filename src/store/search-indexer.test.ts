/**
 * The full-text queue (migration 4) and the batched insert path: deliveries queue their text and
 * a background indexer indexes it in batches; a search never misses mail delivered before it
 * started; what a crash leaves queued is indexed after the next open.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from '../db/engine.ts'
import { SqliteEngine } from '../db/sqlite.ts'
import { FsBlobStore } from './blobs/fs.ts'
import { createStore } from './open.ts'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function open(dir = mkdtempSync(join(tmpdir(), 'tidings-index-'))) {
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
  await engine.migrate()
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable: false }) })
  await store.accounts.provision(1)
  const inbox = (await store.folders.byRole(1, 'inbox'))!
  const close = async () => {
    await store.close()
    await engine.close()
  }
  return { dir, engine, store, inbox, close }
}

const message = (n: number, body: string, extra = '') =>
  new TextEncoder().encode(`Subject: note ${n}\r\nMessage-ID: <n${n}@index.test>\r\n${extra}\r\n${body}\r\n`)

async function pending(engine: SqliteEngine): Promise<number> {
  return (await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM text_pending`))!.n
}

test('a search right after a delivery finds it, though the indexer had not run yet', async () => {
  const { engine, store, inbox, close } = await open()
  try {
    await store.emails.deliver([1], { raw: message(1, 'the quokka sleeps') })
    assert.equal(await pending(engine), 1, 'queued, not yet indexed')
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'quokka' }), [1])
    assert.deepEqual(await store.emails.search(1, inbox.id, { not: { text: 'text', contains: 'quokka' } }), [])
    assert.equal(await pending(engine), 0, 'the search indexed the queue first')
  } finally {
    await close()
  }
})

test('the background indexer empties the queue by itself, in batches', async () => {
  const { engine, store, inbox, close } = await open()
  try {
    const count = 1200
    await Promise.all(Array.from({ length: count }, (_, n) => store.emails.deliver([1], { raw: message(n, `word${n} common`) })))
    for (let i = 0; i < 500 && (await pending(engine)) > 0; i++) await new Promise((r) => setTimeout(r, 20))
    assert.equal(await pending(engine), 0)
    const hits = await store.emails.search(1, inbox.id, { text: 'body', contains: 'common' })
    assert.equal(hits.length, count)
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'word777' }), [778])
  } finally {
    await close()
  }
})

test('concurrent deliveries share multi-row inserts: ascending UIDs, one MODSEQ each, threads and quota exact', async () => {
  const { engine, store, inbox, close } = await open()
  try {
    const commitsBefore = engine.commits
    const raws = [
      message(1, 'parent'),
      message(2, 'reply', 'In-Reply-To: <n1@index.test>\r\n'),
      message(3, 'other'),
      message(4, 'same bytes twice'),
      message(4, 'same bytes twice'),
    ]
    const results = await Promise.all(raws.map((raw) => store.emails.deliver([1], { raw }).then((m) => m.get(1)!)))
    for (const r of results) assert.ok(!(r instanceof Error), String(r))
    const ok = results as Array<Exclude<(typeof results)[number], Error>>
    assert.ok(engine.commits - commitsBefore <= 2, 'one group commit (two at most)')
    assert.deepEqual(ok.map((r) => r.uid), [1, 2, 3, 4, 5])
    assert.equal(new Set(ok.map((r) => r.modseq)).size, 5)
    assert.deepEqual([...ok.map((r) => r.modseq)].sort((a, b) => a - b), ok.map((r) => r.modseq))
    const threads = await engine.all<{ id: number; thread_id: number }>(sql`SELECT id, thread_id FROM emails ORDER BY id`)
    assert.equal(threads[0].thread_id, threads[1].thread_id, 'the reply joined its parent in the same batch')
    assert.notEqual(threads[0].thread_id, threads[2].thread_id)
    const blob = await engine.one<{ refs: number }>(sql`SELECT refs FROM blobs WHERE id = ${ok[3].blobId}`)
    assert.equal(blob!.refs, 2, 'one blob, two references')
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'twice' }), [4, 5])
    const account = (await store.accounts.get(1))!
    assert.equal(account.usedMessages, 5)
    assert.equal(account.usedBytes, raws.reduce((n, r) => n + r.byteLength, 0))
    const report = await store.verify()
    assert.deepEqual([report.mismatched, report.missing, report.orphaned, report.badRefs], [[], [], [], []])
  } finally {
    await close()
  }
})

test('a batch mixing inline and file blobs stores both kinds, and IMAP APPEND batches too', async () => {
  const { store, inbox, close } = await open()
  try {
    const big = message(2, 'large ' + 'filler words here '.repeat(6000))
    assert.ok(big.byteLength > 64 * 1024)
    const results = await Promise.all([
      store.emails.append(1, inbox.id, { raw: message(1, 'small one') }),
      store.emails.append(1, inbox.id, { raw: big }),
      store.emails.append(1, inbox.id, { raw: message(3, 'small two'), keywords: ['$seen', 'custom'] }),
    ])
    // UIDs in the order the writes were queued (the big one's file is put first, so it may come last).
    assert.deepEqual(results.map((r) => r.uid).sort(), [1, 2, 3])
    assert.deepEqual(Buffer.from(await store.emails.body(1, results[1].blobId)), Buffer.from(big))
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'filler' }), [results[1].uid])
    assert.deepEqual(await store.emails.search(1, inbox.id, { keyword: '$seen', present: true }), [results[2].uid])
    await assert.rejects(store.emails.append(1, 999_999, { raw: message(4, 'nowhere') }), (e: Error & { kind?: string }) => e.kind === 'notFound')
    const report = await store.verify()
    assert.deepEqual([report.mismatched, report.missing, report.orphaned, report.badRefs], [[], [], [], []])
  } finally {
    await close()
  }
})

test('in one batch, the delivery that would pass the quota is refused and the others are stored', async () => {
  const { store, inbox, close } = await open()
  try {
    await store.accounts.setQuota(1, { bytes: null, messages: 3 })
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => store.emails.deliver([1], { raw: message(n, 'fill') }).then((m) => m.get(1)!)))
    const refused = results.filter((r) => r instanceof Error)
    assert.equal(refused.length, 2)
    for (const r of refused) assert.equal((r as Error & { kind?: string }).kind, 'overQuota')
    assert.equal((await store.emails.list(1, inbox.id)).length, 3)
    assert.equal((await store.accounts.get(1))!.usedMessages, 3)
    assert.equal((await store.emails.search(1, inbox.id, { text: 'body', contains: 'fill' })).length, 3)
  } finally {
    await close()
  }
})

test('the same delivery id twice in one batch stores the message once', async () => {
  const { store, inbox, close } = await open()
  try {
    const raw = message(9, 'once only')
    const [a, b] = await Promise.all([
      store.emails.deliver([1], { raw, deliveryId: 'q-9' }),
      store.emails.deliver([1], { raw, deliveryId: 'q-9' }),
    ])
    assert.deepEqual(a.get(1), b.get(1))
    assert.equal((await store.emails.list(1, inbox.id)).length, 1)
  } finally {
    await close()
  }
})

test('mail expunged before it was indexed leaves nothing queued and nothing found', async () => {
  const { engine, store, inbox, close } = await open()
  try {
    await store.emails.deliver([1], { raw: message(1, 'ephemeral wombat') })
    await store.emails.expunge(1, inbox.id, [1])
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'wombat' }), [])
    assert.equal(await pending(engine), 0)
  } finally {
    await close()
  }
})

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const CHILD = `
import { SqliteEngine } from ${JSON.stringify(here('../db/sqlite.ts'))}
import { FsBlobStore } from ${JSON.stringify(here('./blobs/fs.ts'))}
import { createStore } from ${JSON.stringify(here('./open.ts'))}
const dir = process.env.STORE_DIR
const engine = new SqliteEngine(dir + '/tidings.db')
await engine.migrate()
// No background indexing: the queue is surely still full when the kill comes.
const store = createStore({ engine, blobs: new FsBlobStore(dir + '/blobs'), backgroundIndexing: false })
await store.accounts.provision(1)
const raws = Array.from({ length: 30 }, (_, n) => new TextEncoder().encode('Subject: crash ' + n + '\\r\\n\\r\\nplatypus ' + n + '\\r\\n'))
await Promise.all(raws.map((raw) => store.emails.deliver([1], { raw })))
process.stdout.write('delivered\\n')
setInterval(() => {}, 1000)
`

test('kill -9 before the indexer ran: the queue survives and is indexed after the next open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-index-crash-'))
  dirs.push(dir)
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, STORE_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', () => child.kill('SIGKILL'))
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited with ${code}: ${stderr}`))))
  })
  const raw = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
  const queued = await pending(raw)
  await raw.close()
  const { engine, store, inbox, close } = await open(dir)
  try {
    assert.ok(queued > 0, 'the crash left documents queued')
    // The indexer parses them again from the stored bytes (nothing held in memory any more).
    assert.equal((await store.emails.search(1, inbox.id, { text: 'body', contains: 'platypus' })).length, 30)
    assert.equal((await store.emails.search(1, inbox.id, { text: 'body', contains: '17' })).length, 1)
    assert.equal(await pending(engine), 0)
  } finally {
    await close()
  }
})

test('migration 4 keeps the inline blobs of a schema-3 store, readable and deduplicated as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-index-migrate-'))
  dirs.push(dir)
  const old = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
  await old.migrate({ upTo: 3 })
  const before = createStore({ engine: old, blobs: new FsBlobStore(join(dir, 'blobs'), { durable: false }), sweepOnOpen: false })
  await before.accounts.provision(1)
  const raw = message(1, 'kept across the migration')
  const first = (await before.emails.deliver([1], { raw })).get(1)!
  assert.ok(!(first instanceof Error))
  await before.close()
  await old.close()

  const { engine, store, inbox, close } = await open(dir)
  try {
    assert.deepEqual(Buffer.from(await store.emails.body(1, first.blobId)), Buffer.from(raw))
    // Indexed at delivery on the old schema; found without the queue.
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'migration' }), [1])
    const again = (await store.emails.deliver([1], { raw })).get(1)!
    assert.ok(!(again instanceof Error))
    assert.equal(again.blobId, first.blobId)
    assert.equal((await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM blob_data`))!.n, 1, 'one row per sha256')
    assert.deepEqual(await store.emails.search(1, inbox.id, { text: 'body', contains: 'migration' }), [1, 2])
    const report = await store.verify()
    assert.deepEqual([report.mismatched, report.missing, report.orphaned, report.badRefs], [[], [], [], []])
  } finally {
    await close()
  }
})

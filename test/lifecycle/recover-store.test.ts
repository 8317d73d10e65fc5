/**
 * Deleted-item recovery in the store (Exchange's Recoverable Items): an expunged or deleted
 * message leaves every folder as before, but stays restorable until the retention passes; the
 * blob books stay exact (`verify`) throughout.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { sql } from '../../src/db/engine.ts'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { createStore, type OpenedStore } from '../../src/store/open.ts'
import { message } from '../../src/store/store.conformance.ts'
import type { RetentionPolicy } from '../../src/store/retention.ts'
import { seededRandom } from '../support/seeded-random.ts'

const DAY = 86_400_000
const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Fixture {
  store: OpenedStore
  engine: SqliteEngine
  files: FsBlobStore
  close(): Promise<void>
}

async function open(retention?: RetentionPolicy, dir = mkdtempSync(join(tmpdir(), 'tidings-recover-'))): Promise<Fixture> {
  if (!dirs.includes(dir)) dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
  await engine.migrate()
  const files = new FsBlobStore(join(dir, 'blobs'), { durable: false })
  const store = createStore({ engine, blobs: files, retention, sweepOnOpen: false })
  await store.accounts.provision(1)
  return { store, engine, files, close: async () => { await store.close(); await engine.close() } }
}

const KEEP: RetentionPolicy = { retentionMs: 14 * DAY, quotaBytes: 0 }

async function folder(store: OpenedStore, path: string) {
  return (await store.folders.byPath(1, path))!
}

async function assertClean(store: OpenedStore): Promise<void> {
  const report = await store.verify()
  assert.deepEqual({ ...report, checked: 0 }, { checked: 0, mismatched: [], missing: [], orphaned: [], badRefs: [] })
}

async function blobRow(engine: SqliteEngine, id: string): Promise<boolean> {
  return (await engine.one(sql`SELECT id FROM blobs WHERE id = ${id}`)) !== undefined
}

/** Bigger than the inline limit: its bytes are a file, so reclaiming shows on disk. */
function bigMessage(n: number): Uint8Array {
  return message({ n, subject: `Big ${n}`, messageId: `big${n}@example.test`, body: 'x'.repeat(100_000) })
}

test('recovery of an expunged message: gone for protocols, restored with its flags, internal date and a new UID', async () => {
  const fx = await open(KEEP)
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const receivedAt = Date.UTC(2026, 0, 2, 3, 4, 5)
    const a = await store.emails.append(1, inbox.id, { raw: bigMessage(1), keywords: ['$seen', '$flagged', 'Project-X'], receivedAt })
    const before = (await store.accounts.get(1))!
    await store.emails.setKeywords(1, inbox.id, [a.uid], { op: 'add', keywords: ['$deleted'] })
    assert.deepEqual(await store.emails.expunge(1, inbox.id, [a.uid]), [a.uid])

    // Protocols see exactly today's expunge: not listed, VANISHED, tombstone, quota given back.
    assert.deepEqual(await store.emails.list(1, inbox.id), [])
    assert.deepEqual(await store.emails.expungedSince(1, inbox.id, 0), [a.uid])
    const changes = await store.changes.since(1, a.modseq)
    assert.ok(changes.destroyed.some((c) => c.type === 'email' && c.id === a.emailId))
    const after = (await store.accounts.get(1))!
    assert.equal(after.usedBytes, before.usedBytes - a.size)
    assert.equal(after.usedMessages, 0)
    // The bytes stay, held by the retained record.
    assert.ok(await fx.files.has(a.blobId))
    await assertClean(store)

    const items = await store.recoverable.list(1)
    assert.equal(items.length, 1)
    assert.equal(items[0].folderPath, 'INBOX')
    assert.equal(items[0].subject, 'Big 1')
    assert.deepEqual(items[0].keywords, ['$deleted', '$flagged', '$seen', 'Project-X'])

    const restored = await store.recoverable.restore(1, [items[0].id])
    assert.equal(restored.length, 1)
    assert.equal(restored[0].folderId, inbox.id)
    assert.ok(restored[0].uid > a.uid, 'UIDs are never reused')
    const [info] = await store.emails.info(1, inbox.id, [restored[0].uid])
    assert.equal(info.receivedAt, receivedAt)
    assert.deepEqual(info.keywords, ['$flagged', '$seen', 'Project-X'], '$deleted, which got it expunged, is dropped')
    assert.equal(info.subject, 'Big 1')
    assert.ok(Buffer.from(await store.emails.body(1, info.blobId)).equals(bigMessage(1)))
    // Searchable again: the full-text document stayed with the blob.
    assert.deepEqual(await store.emails.search(1, inbox.id, { header: 'subject', contains: 'Big 1' }), [restored[0].uid])
    assert.equal((await store.accounts.get(1))!.usedBytes, before.usedBytes)
    assert.deepEqual(await store.recoverable.list(1), [])
    // Idempotent: the record went in the same transaction.
    assert.deepEqual(await store.recoverable.restore(1, [items[0].id]), [])
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('a message of a deleted folder comes back in "Recovered Items"; a renamed folder is still its folder', async () => {
  const fx = await open(KEEP)
  try {
    const { store } = fx
    const work = await store.folders.create(1, 'Work')
    const kept = await store.folders.create(1, 'Kept')
    await store.emails.append(1, work.id, { raw: message({ n: 1, subject: 'In work' }) })
    const k = await store.emails.append(1, kept.id, { raw: message({ n: 2, subject: 'In kept' }) })
    await store.folders.remove(1, work.id)
    await store.emails.expunge(1, kept.id, [k.uid])
    await store.folders.rename(1, kept.id, 'Kept 2026')
    assert.deepEqual((await store.recoverable.list(1, { folder: 'Work' })).map((i) => i.subject), ['In work'])
    const all = await store.recoverable.list(1)
    const restored = await store.recoverable.restore(1, all.map((i) => i.id))
    assert.deepEqual(restored.map((r) => r.folderPath).sort(), ['Kept 2026', 'Recovered Items'])
    const recovered = await folder(store, 'Recovered Items')
    assert.equal((await store.emails.list(1, recovered.id)).length, 1)
    assert.equal((await store.emails.list(1, kept.id)).length, 1)
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('retention 0 keeps nothing: the blob is reclaimed at once, as before', async () => {
  const fx = await open({ retentionMs: 0, quotaBytes: 0 })
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const a = await store.emails.append(1, inbox.id, { raw: bigMessage(1) })
    await store.emails.expunge(1, inbox.id, [a.uid])
    assert.deepEqual(await store.recoverable.list(1), [])
    assert.equal(await fx.files.has(a.blobId), false)
    assert.equal(await blobRow(fx.engine, a.blobId), false)
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('a purge after the retention deletes the records and reclaims their blobs; younger ones stay', async () => {
  const fx = await open({ retentionMs: 60_000, quotaBytes: 0 })
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const big = await store.emails.append(1, inbox.id, { raw: bigMessage(1) })
    const small = await store.emails.append(1, inbox.id, { raw: message({ n: 2 }) })
    await store.emails.expunge(1, inbox.id, [big.uid, small.uid])
    assert.equal(await store.recoverable.purge({ now: Date.now() }), 0, 'not yet expired')
    assert.equal((await store.recoverable.list(1)).length, 2)
    assert.equal(await store.recoverable.purge({ now: Date.now() + 61_000 }), 2)
    assert.deepEqual(await store.recoverable.list(1), [])
    assert.equal(await fx.files.has(big.blobId), false)
    assert.equal(await blobRow(fx.engine, big.blobId), false)
    assert.equal(await blobRow(fx.engine, small.blobId), false)
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('dedupe still works: the same bytes delivered again share the retained blob, which outlives the purge', async () => {
  const fx = await open({ retentionMs: 60_000, quotaBytes: 0 })
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const raw = bigMessage(7)
    const a = await store.emails.append(1, inbox.id, { raw })
    await store.emails.expunge(1, inbox.id, [a.uid])
    const b = await store.emails.append(1, inbox.id, { raw })
    assert.equal(b.blobId, a.blobId)
    assert.equal((await fx.engine.one<{ refs: number }>(sql`SELECT refs FROM blobs WHERE id = ${a.blobId}`))!.refs, 2)
    await assertClean(store)
    await store.recoverable.purge({ now: Date.now() + 61_000 })
    assert.ok(await fx.files.has(a.blobId))
    assert.ok(Buffer.from(await store.emails.body(1, b.blobId)).equals(raw))
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('the Recoverable Items quota keeps the newest deletions and drops the oldest', async () => {
  const fx = await open({ retentionMs: 14 * DAY, quotaBytes: 250_000 })
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    for (let n = 1; n <= 4; n++) {
      const a = await store.emails.append(1, inbox.id, { raw: bigMessage(n) })
      await store.emails.expunge(1, inbox.id, [a.uid])
    }
    assert.deepEqual((await store.recoverable.list(1)).map((i) => i.subject), ['Big 3', 'Big 4'])
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('removing an account releases what its Recoverable Items held', async () => {
  const fx = await open(KEEP)
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const a = await store.emails.append(1, inbox.id, { raw: bigMessage(1) })
    await store.emails.expunge(1, inbox.id, [a.uid])
    await store.accounts.remove(1)
    assert.equal(await fx.files.has(a.blobId), false)
    assert.equal((await fx.engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM recoverable_items`))!.n, 0)
    await assertClean(store)
  } finally {
    await fx.close()
  }
})

test('restore charges the mailbox quota and is refused whole when over it', async () => {
  const fx = await open(KEEP)
  try {
    const { store } = fx
    const inbox = await folder(store, 'INBOX')
    const a = await store.emails.append(1, inbox.id, { raw: message({ n: 1 }) })
    await store.emails.expunge(1, inbox.id, [a.uid])
    await store.accounts.setQuota(1, { bytes: 10, messages: null })
    const [item] = await store.recoverable.list(1)
    await assert.rejects(store.recoverable.restore(1, [item.id]), { kind: 'overQuota' })
    assert.equal((await store.recoverable.list(1)).length, 1, 'still recoverable')
    await assert.rejects(store.recoverable.restore(1, [item.id], { folder: 999_999 }), { kind: 'overQuota' })
  } finally {
    await fx.close()
  }
})

test('random appends, expunges, folder deletions, restores and purges keep the books exact (seeded)', async () => {
  const seed = 20261123
  const random = seededRandom(seed)
  const fx = await open({ retentionMs: 1000, quotaBytes: 400_000 })
  try {
    const { store, engine } = fx
    let now = Date.now()
    let n = 0
    let restored = 0
    let purged = 0
    for (let step = 0; step < 120; step++) {
      const folders = (await store.folders.list(1)).filter((f) => f.type === 'mail')
      const box = folders[Math.floor(random() * folders.length)]
      const roll = random()
      if (roll < 0.4) {
        // Re-using a few bodies exercises dedupe across live and retained emails.
        const k = Math.floor(random() * 6)
        await store.emails.append(1, box.id, { raw: k < 2 ? bigMessage(k) : message({ n: k, messageId: `fixed${k}@x` }), keywords: random() < 0.5 ? ['$seen'] : [] })
        n++
      } else if (roll < 0.65) {
        const refs = await store.emails.list(1, box.id)
        if (refs.length) await store.emails.expunge(1, box.id, refs.filter(() => random() < 0.5).map((r) => r.uid))
      } else if (roll < 0.72) {
        if (box.role === null) await store.folders.remove(1, box.id).catch(() => {})
        else await store.folders.create(1, `F${step}`)
      } else if (roll < 0.9) {
        const items = await store.recoverable.list(1)
        restored += (await store.recoverable.restore(1, items.filter(() => random() < 0.5).map((i) => i.id))).length
      } else {
        now += 600
        purged += await store.recoverable.purge({ now })
      }
      if (step % 20 === 19) await assertClean(store)
    }
    await assertClean(store)
    const used = (await engine.one<{ bytes: number | null; n: number }>(sql`SELECT sum(size) AS bytes, count(*) AS n FROM emails WHERE account_id = 1`))!
    const account = (await store.accounts.get(1))!
    assert.equal(account.usedBytes, used.bytes ?? 0, `seed ${seed}: quota bytes exact`)
    assert.equal(account.usedMessages, used.n, `seed ${seed}: quota messages exact`)
    const retained = (await engine.one<{ bytes: number | null; n: number }>(sql`SELECT sum(size) AS bytes, count(*) AS n FROM recoverable_items WHERE account_id = 1`))!
    const usage = await engine.one<{ bytes: number; items: number }>(sql`SELECT bytes, items FROM recoverable_usage WHERE account_id = 1`)
    assert.deepEqual([usage?.bytes ?? 0, usage?.items ?? 0], [retained.bytes ?? 0, retained.n], `seed ${seed}: Recoverable Items usage exact`)
    assert.ok(retained.bytes === null || retained.bytes <= 400_000, `seed ${seed}: within the Recoverable Items quota`)
    assert.ok(n > 0 && restored > 0 && purged > 0, `seed ${seed}: ${n} appends, ${restored} restores, ${purged} purged`)
  } finally {
    await fx.close()
  }
})

import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
import { sql } from '../db/engine.ts'
import { FsBlobStore } from './blobs/fs.ts'
import type { BlobStore } from './blobs/blob-store.ts'
import { INLINE_BLOB_MAX } from './blobs/tiered.ts'
import { createStore } from './open.ts'
import { describeStore, type OpenedForTest } from './store.conformance.ts'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function openAt(dir: string): Promise<OpenedForTest> {
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const blobs = new FsBlobStore(join(dir, 'blobs'))
  const store = createStore({ engine, blobs })
  return {
    store,
    engine,
    close: async () => {
      await store.close()
      await engine.close()
    },
    reopen: () => openAt(dir),
    corruptBlob: async (id) => {
      const path = join(dir, 'blobs', id.slice(0, 2), id.slice(2, 4), id)
      if (!existsSync(path)) {
        // A small blob: its bytes are a row (blobs/tiered.ts).
        const row = (await engine.one<{ data: Uint8Array }>(sql`SELECT data FROM blob_data WHERE id = ${id}`))!
        const bytes = Buffer.from(row.data)
        bytes[bytes.length - 3] ^= 0xff
        await engine.write((tx) => tx.run(sql`UPDATE blob_data SET data = ${bytes} WHERE id = ${id}`))
        return
      }
      const bytes = readFileSync(path)
      bytes[bytes.length - 3] ^= 0xff
      writeFileSync(path, bytes)
    },
  }
}

describeStore('SQLite + file blobs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-store-'))
  dirs.push(dir)
  return openAt(dir)
})

test('sweep deletes unreferenced rows and orphan files; recovery at open does it by itself', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-sweep-'))
  dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const blobs = new FsBlobStore(join(dir, 'blobs'))
  let store = createStore({ engine, blobs, sweepOnOpen: false })
  try {
    await store.accounts.provision(1)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const kept = await store.emails.append(1, inbox.id, { raw: new TextEncoder().encode('Subject: kept\r\n\r\nkept\r\n') })
    // A put whose commit never happened (crash), and a row left at zero references.
    const orphan = await blobs.put(new TextEncoder().encode('orphan bytes'))
    const zero = await blobs.put(new TextEncoder().encode('zero refs'))
    await engine.write((tx) => tx.run(sql`INSERT INTO blobs (id, size, refs, created_at) VALUES (${zero.id}, 9, 0, 0)`))
    assert.deepEqual((await store.verify()).orphaned, [orphan.id])
    assert.equal(await store.sweep(), 2)
    assert.equal(await blobs.has(orphan.id), false)
    assert.equal(await blobs.has(zero.id), false)
    assert.deepEqual(Buffer.from(await store.emails.body(1, kept.blobId)), Buffer.from('Subject: kept\r\n\r\nkept\r\n'))

    const again = await blobs.put(new TextEncoder().encode('left by a crash'))
    await store.close()
    store = createStore({ engine, blobs })
    const report = await store.verify()
    assert.deepEqual([report.checked, report.orphaned, report.missing, report.badRefs], [1, [], [], []])
    assert.equal(await blobs.has(again.id), false, 'swept at open')
  } finally {
    await store.close()
    await engine.close()
  }
})

test('a blob swept between its put and its commit is put again inside the write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-race-'))
  dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const real = new FsBlobStore(join(dir, 'blobs'))
  let sweptOnce = false
  // The first put is followed at once by a sweep that takes the fresh file for an orphan.
  const racing: BlobStore = {
    put: async (bytes) => {
      const result = await real.put(bytes)
      if (!sweptOnce) {
        sweptOnce = true
        await real.delete(result.id)
      }
      return result
    },
    get: (id, range) => real.get(id, range),
    stream: (id) => real.stream(id),
    has: (id) => real.has(id),
    delete: (id) => real.delete(id),
    ids: () => real.ids(),
  }
  const store = createStore({ engine, blobs: racing, sweepOnOpen: false })
  try {
    await store.accounts.provision(1)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    // Large enough to be a file (small blobs are written inside the transaction: no race).
    const raw = new TextEncoder().encode('Subject: raced\r\n\r\nstill here\r\n' + 'x'.repeat(INLINE_BLOB_MAX))
    const result = await store.emails.append(1, inbox.id, { raw })
    assert.ok(sweptOnce)
    assert.deepEqual(Buffer.from(await store.emails.body(1, result.blobId)), Buffer.from(raw))
    const report = await store.verify()
    assert.deepEqual([report.checked, report.missing], [1, []])
  } finally {
    await store.close()
    await engine.close()
  }
})

test('small blobs live in the database, once per sha256, and go with their last reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-inline-'))
  dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const blobs = new FsBlobStore(join(dir, 'blobs'))
  const store = createStore({ engine, blobs, sweepOnOpen: false })
  const inlineRows = async () => (await engine.all<{ id: string }>(sql`SELECT id FROM blob_data ORDER BY id`)).map((r) => r.id)
  try {
    await store.accounts.provision(1)
    await store.accounts.provision(2)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const small = new TextEncoder().encode('Subject: small\r\n\r\n' + 'compressible words '.repeat(300) + '\r\n')
    const exact = new Uint8Array(INLINE_BLOB_MAX).fill(0x41)
    const large = new Uint8Array(INLINE_BLOB_MAX + 1).fill(0x42)
    const a = await store.emails.append(1, inbox.id, { raw: small })
    const delivered = await store.emails.deliver([1, 2], { raw: small })
    const b = await store.emails.append(1, inbox.id, { raw: exact })
    const c = await store.emails.append(1, inbox.id, { raw: large })
    // Dedupe: three copies of `small`, one row; no file for either small blob; the large one is a file.
    assert.deepEqual(await inlineRows(), [a.blobId, b.blobId].sort())
    assert.equal(await blobs.has(a.blobId), false)
    assert.equal(await blobs.has(b.blobId), false)
    assert.equal(await blobs.has(c.blobId), true)
    for (const r of delivered.values()) assert.ok(!(r instanceof Error) && r.blobId === a.blobId)
    // Reads serve both kinds: whole, ranges, streams.
    assert.deepEqual(Buffer.from(await store.emails.body(1, a.blobId)), Buffer.from(small))
    assert.deepEqual(Buffer.from(await store.emails.body(1, a.blobId, { start: 5, end: 10 })), Buffer.from(small.subarray(5, 10)))
    assert.deepEqual(Buffer.from(await store.emails.body(2, a.blobId, { start: 5, end: 10 })), Buffer.from(small.subarray(5, 10)))
    assert.deepEqual(Buffer.from(await store.emails.body(1, c.blobId, { start: 1, end: 4 })), Buffer.from(large.subarray(1, 4)))
    const chunks: Buffer[] = []
    for await (const chunk of await store.emails.stream(1, b.blobId)) chunks.push(Buffer.from(chunk as Uint8Array))
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(exact))
    let report = await store.verify()
    assert.deepEqual([report.checked, report.missing, report.orphaned, report.mismatched, report.badRefs], [3, [], [], [], []])

    // Expunging every copy deletes the row with the last reference.
    const uids = (await engine.all<{ uid: number }>(sql`SELECT m.uid FROM memberships m JOIN emails e ON e.id = m.email_id
      WHERE m.folder_id = ${inbox.id} AND e.blob_id = ${a.blobId}`)).map((r) => r.uid)
    await store.emails.expunge(1, inbox.id, uids)
    assert.deepEqual(await inlineRows(), [a.blobId, b.blobId].sort(), 'account 2 still holds it')
    const inbox2 = (await store.folders.byRole(2, 'inbox'))!
    await store.emails.expunge(2, inbox2.id, [(delivered.get(2) as { uid: number }).uid])
    assert.deepEqual(await inlineRows(), [b.blobId])
    await assert.rejects(store.emails.body(2, a.blobId))

    // An orphan row (no `blobs` row) is found by verify and swept.
    const orphan = 'f'.repeat(64)
    await engine.write((tx) => tx.run(sql`INSERT INTO blob_data (id, data) VALUES (${orphan}, ${Uint8Array.of(0, 1, 2)})`))
    report = await store.verify()
    assert.deepEqual([report.orphaned, report.mismatched], [[orphan], [orphan]])
    assert.equal(await store.sweep(), 1)
    assert.deepEqual(await inlineRows(), [b.blobId])
  } finally {
    await store.close()
    await engine.close()
  }
})

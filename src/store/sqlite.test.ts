import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
import { sql } from '../db/engine.ts'
import { FsBlobStore } from './blobs/fs.ts'
import type { BlobStore } from './blobs/blob-store.ts'
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
    assert.equal(await blobs.has(kept.blobId), true)

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
    const raw = new TextEncoder().encode('Subject: raced\r\n\r\nstill here\r\n')
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

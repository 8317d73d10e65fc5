import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
import { sql } from '../db/engine.ts'
import { FsBlobStore } from './blobs/fs.ts'
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

test('sweep deletes unreferenced rows and old orphan files, and spares young ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-sweep-'))
  dirs.push(dir)
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const blobs = new FsBlobStore(join(dir, 'blobs'))
  const store = createStore({ engine, blobs })
  try {
    await store.accounts.provision(1)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const kept = await store.emails.append(1, inbox.id, { raw: new TextEncoder().encode('Subject: kept\r\n\r\nkept\r\n') })
    // A put whose commit never happened (crash), and a row left at zero references.
    const orphan = await blobs.put(new TextEncoder().encode('orphan bytes'))
    const zero = await blobs.put(new TextEncoder().encode('zero refs'))
    await engine.write((tx) => tx.run(sql`INSERT INTO blobs (id, size, refs, created_at) VALUES (${zero.id}, 9, 0, 0)`))
    assert.equal(await store.sweep(), 1, 'a young orphan may be a delivery in flight')
    assert.equal(await blobs.has(orphan.id), true)
    assert.equal(await blobs.has(zero.id), false)
    assert.equal(await store.sweep({ now: Date.now() + 2 * 3600_000 }), 1)
    assert.equal(await blobs.has(orphan.id), false)
    assert.equal(await blobs.has(kept.blobId), true)
    const report = await store.verify()
    assert.deepEqual([report.checked, report.orphaned, report.missing, report.badRefs], [1, [], [], []])
  } finally {
    await engine.close()
  }
})

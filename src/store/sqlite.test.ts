import { after } from 'node:test'
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../db/sqlite.ts'
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

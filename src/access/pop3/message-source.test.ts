/** RETR's source: small messages in one piece, large ones streamed, a missing one refused before any output. */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../../db/sqlite.ts'
import { FsBlobStore } from '../../store/blobs/fs.ts'
import { createStore } from '../../store/open.ts'
import { openMessage, WHOLE_MESSAGE_IN_ONE_READ } from './message-source.ts'

const dir = mkdtempSync(join(tmpdir(), 'tidings-pop3-source-'))
after(() => rmSync(dir, { recursive: true, force: true }))

async function collect(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; pieces: number }> {
  const out: Uint8Array[] = []
  for await (const chunk of chunks) out.push(chunk)
  return { bytes: Buffer.concat(out), pieces: out.length }
}

test('a small message comes in one piece, a large one as a stream, both byte-identical; a missing one is refused', async () => {
  const engine = new SqliteEngine(join(dir, 'tidings.db'))
  await engine.migrate()
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs')) })
  try {
    await store.accounts.provision(1)
    await store.accounts.provision(2)
    const inbox = (await store.folders.byRole(1, 'inbox'))!
    const small = Buffer.from('From: a@example.test\r\nSubject: s\r\n\r\n.dot\r\nbody\r\n')
    const large = Buffer.concat([Buffer.from('From: a@example.test\r\nSubject: l\r\n\r\n'), Buffer.alloc(WHOLE_MESSAGE_IN_ONE_READ + 1000, 'line of text\r\n')])
    for (const raw of [small, large]) {
      const result = await store.emails.append(1, inbox.id, { raw })
      const source = await openMessage(store, 1, { blobId: result.blobId, size: result.size })
      const { bytes, pieces } = await collect(source.chunks)
      source.destroy()
      assert.deepEqual(bytes, raw)
      if (raw === small) assert.equal(pieces, 1)
      else assert.ok(Array.isArray(source.chunks) === false)
      // Another account never reads these bytes.
      await assert.rejects(openMessage(store, 2, { blobId: result.blobId, size: result.size }), { kind: 'notFound' })
    }
  } finally {
    await store.close()
    await engine.close()
  }
})

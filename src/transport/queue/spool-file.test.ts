import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlobStore } from '../../store/blobs/fs.ts'
import { openSpoolFile } from './spool-file.ts'

test('a streamed spool file is the blob FsBlobStore reads back, under its SHA-256; abort leaves nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-spool-file-'))
  try {
    const spool = new FsBlobStore(dir)
    const chunks = [Buffer.from('Subject: hi\r\n\r\n'), Buffer.alloc(100_000, 0x61), Buffer.from('\r\nend\r\n')]
    const file = openSpoolFile(spool, { durable: true })
    for (const c of chunks) await file.write(c)
    const whole = Buffer.concat(chunks)
    const blob = await file.commit()
    assert.deepEqual(blob, { id: createHash('sha256').update(whole).digest('hex'), size: whole.length })
    assert.ok(Buffer.from(await spool.get(blob.id)).equals(whole))
    const ids = []
    for await (const id of spool.ids()) ids.push(id)
    assert.deepEqual(ids, [blob.id])

    const dropped = openSpoolFile(spool, { durable: false })
    await dropped.write(Buffer.alloc(200_000, 0x62))
    await dropped.abort()
    await dropped.abort()
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

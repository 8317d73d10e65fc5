import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlobStore } from './fs.ts'
import { StoreError } from '../errors.ts'

const root = mkdtempSync(join(tmpdir(), 'tidings-blobs-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = () => new FsBlobStore(join(root, `s${++n}`))
const fileOf = (store: FsBlobStore, id: string) => join(store.dir, id.slice(0, 2), id.slice(2, 4), id)

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

test('put stores by SHA-256 under ab/cd/<sha>, compressed only when that saves space', async () => {
  const store = fresh()
  const text = Buffer.from('Subject: hello\r\n\r\n' + 'the same words again and again '.repeat(500))
  const noise = randomBytes(64 * 1024)
  const a = await store.put(text)
  const b = await store.put(noise)
  assert.equal(a.id, createHash('sha256').update(text).digest('hex'))
  assert.equal(a.size, text.length)
  const textFile = readFileSync(fileOf(store, a.id))
  const noiseFile = readFileSync(fileOf(store, b.id))
  assert.equal(textFile[0], 1, 'zstd header byte')
  assert.ok(textFile.length < text.length / 5)
  assert.equal(noiseFile[0], 0, 'raw header byte')
  assert.equal(noiseFile.length, noise.length + 1)
  assert.deepEqual(Buffer.from(await store.get(a.id)), text)
  assert.deepEqual(Buffer.from(await store.get(b.id)), noise)
  assert.deepEqual(await readAll(await store.stream(a.id)), text)
  assert.deepEqual(await readAll(await store.stream(b.id)), noise)
})

test('ranges come back exact from raw and compressed blobs', async () => {
  const store = fresh()
  const text = Buffer.from('0123456789'.repeat(1000))
  const noise = randomBytes(10_000)
  const a = await store.put(text)
  const b = await store.put(noise)
  assert.deepEqual(Buffer.from(await store.get(a.id, { start: 5, end: 15 })), text.subarray(5, 15))
  const fresh2 = new FsBlobStore(store.dir) // no cache: the raw file is read in place
  assert.deepEqual(Buffer.from(await fresh2.get(b.id, { start: 9990, end: 20_000 })), noise.subarray(9990))
  assert.deepEqual(Buffer.from(await fresh2.get(b.id, { start: 100, end: 200 })), noise.subarray(100, 200))
})

test('putting bytes already stored is a no-op that leaves the file alone', async () => {
  const store = fresh()
  const bytes = Buffer.from('same bytes twice, stored once')
  const first = await store.put(bytes)
  const before = statSync(fileOf(store, first.id))
  const second = await store.put(bytes)
  assert.equal(second.id, first.id)
  assert.equal(statSync(fileOf(store, first.id)).ino, before.ino)
  const ids: string[] = []
  for await (const id of store.ids()) ids.push(id)
  assert.deepEqual(ids, [first.id])
})

test('temp files left by a crash are swept at open; delete and has agree', async () => {
  const store = fresh()
  const { id } = await store.put(Buffer.from('keep me'))
  writeFileSync(join(store.dir, 'tmp', 'half-written.tmp'), 'partial')
  const reopened = new FsBlobStore(store.dir)
  assert.ok(!existsSync(join(store.dir, 'tmp', 'half-written.tmp')))
  assert.equal(await reopened.has(id), true)
  await reopened.delete(id)
  await reopened.delete(id) // twice is fine
  assert.equal(await reopened.has(id), false)
  await assert.rejects(reopened.get(id), (e: unknown) => e instanceof StoreError && e.kind === 'notFound')
})

test('ids that are not SHA-256 hex are refused (no path traversal)', async () => {
  const store = fresh()
  for (const bad of ['../../etc/passwd', 'ab', 'Z'.repeat(64)]) {
    await assert.rejects(store.get(bad), (e: unknown) => e instanceof StoreError && e.kind === 'invalid')
  }
})

test('a damaged compressed blob fails with a StoreError, not a crash', async () => {
  const store = fresh()
  const { id } = await store.put(Buffer.from('compress me '.repeat(1000)))
  const path = fileOf(store, id)
  const bytes = readFileSync(path)
  bytes.fill(0x41, 5, bytes.length - 2)
  writeFileSync(path, bytes)
  const reopened = new FsBlobStore(store.dir)
  await assert.rejects(reopened.get(id), (e: unknown) => e instanceof StoreError && e.kind === 'unavailable')
  await assert.rejects(readAll(await reopened.stream(id)))
})

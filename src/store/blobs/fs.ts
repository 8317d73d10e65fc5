import { createHash } from 'node:crypto'
import fs, { existsSync, mkdirSync, readdirSync, rmSync, createReadStream } from 'node:fs'
import { mkdir, open, readdir, unlink, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { BlobStore } from './blob-store.ts'
import { StoreError } from '../errors.ts'

/** Decompressed blobs kept in memory for repeated FETCHes of the same message; bounded in bytes. */
const CACHE_MAX_BYTES = 32 * 1024 * 1024
/** Larger blobs are never cached (one big attachment must not evict every small message). */
const CACHE_MAX_BLOB = 1024 * 1024
/** Below this, compressing is not worth the CPU (a header or two). */
const COMPRESS_MIN = 256
/**
 * From this size (de)compression runs on the libuv pool instead of blocking the event loop.
 * Smaller ones stay inline: sending 4 KiB messages to the pool spread one burst of deliveries
 * over many small group commits (more COMMITs and WAL syncs than the ~0.1 ms of zstd it saved).
 */
const COMPRESS_ASYNC_FROM = 64 * 1024
/**
 * zstd level for blobs up to this size: level 1 packs mail text within ~3% of the default
 * level (3) for ~30% less CPU on the delivery path; larger blobs keep the default.
 */
const FAST_LEVEL_UP_TO = 64 * 1024
const FAST_LEVEL = { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } }

/** The first byte of every blob file says how the rest is stored. */
export const FORMAT_RAW = 0
const FORMAT_ZSTD = 1

const ID_PATTERN = /^[0-9a-f]{64}$/
/** Where blobs are written before their rename; swept at open. Writers of the same layout share it. */
export const TMP_DIR = 'tmp'

// The hot path (put) uses raw file descriptors: FileHandle objects cost more than the syscalls.
const fdOpen = promisify(fs.open)
const fdWritev = promisify(fs.writev)
const fdSync = promisify(fs.fsync)
const fdClose = promisify(fs.close)
const fsRename = promisify(fs.rename)
const fsStat = promisify(fs.stat)

const zstdCompress = promisify(zlib.zstdCompress)
const zstdDecompress = promisify(zlib.zstdDecompress)

/**
 * Blobs as files under `dir/ab/cd/<sha256>`: content-addressed, compressed with zstd when that
 * saves space, written atomically (temp file → fsync → rename → fsync directory) so a crash leaves
 * either the whole blob or nothing but a temp file, which the next open sweeps.
 */
export class FsBlobStore implements BlobStore {
  readonly dir: string
  readonly #durable: boolean
  readonly #knownDirs = new Set<string>()
  readonly #cache = new Map<string, Uint8Array>()
  #cacheBytes = 0
  #tmpSeq = 0

  constructor(dir: string, options: { durable?: boolean } = {}) {
    this.dir = dir
    this.#durable = options.durable ?? true
    mkdirSync(join(dir, TMP_DIR), { recursive: true })
    // Temp files are blobs whose put never resolved (a crash mid-write): nobody references them.
    for (const name of readdirSync(join(dir, TMP_DIR))) rmSync(join(dir, TMP_DIR, name), { force: true })
  }

  #path(id: string): string {
    if (!ID_PATTERN.test(id)) throw new StoreError('invalid', `Not a blob id: ${JSON.stringify(id.slice(0, 80))}`)
    return join(this.dir, id.slice(0, 2), id.slice(2, 4), id)
  }

  async put(bytes: Uint8Array): Promise<{ id: string; size: number }> {
    const id = createHash('sha256').update(bytes).digest('hex')
    const size = bytes.byteLength
    const path = this.#path(id)
    if (await exists(path)) return { id, size }
    const body = await encode(bytes)
    const tmp = join(this.dir, TMP_DIR, `${id}.${process.pid}.${++this.#tmpSeq}`)
    const fd = await fdOpen(tmp, 'wx')
    try {
      await fdWritev(fd, body)
      if (this.#durable) await fdSync(fd)
    } catch (error) {
      await fdClose(fd).catch(() => {})
      await unlink(tmp).catch(() => {})
      throw error
    }
    await fdClose(fd)
    const parent = join(this.dir, id.slice(0, 2), id.slice(2, 4))
    await this.#ensureDir(parent, id)
    await fsRename(tmp, path)
    if (this.#durable) await syncDir(parent)
    return { id, size }
  }

  /** Creates `ab/cd` once; a new directory is durable only once its parent is fsynced too. */
  async #ensureDir(parent: string, id: string): Promise<void> {
    if (this.#knownDirs.has(parent)) return
    const top = join(this.dir, id.slice(0, 2))
    const created = await mkdir(parent, { recursive: true })
    if (created !== undefined && this.#durable) {
      await syncDir(top)
      if (created === top) await syncDir(this.dir)
    }
    this.#knownDirs.add(parent)
  }

  async get(id: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    const cached = this.#cache.get(id)
    if (cached) {
      // Refresh its place in the LRU order.
      this.#cache.delete(id)
      this.#cache.set(id, cached)
      return range ? cached.subarray(range.start, range.end) : cached
    }
    const path = this.#path(id)
    if (range) {
      // A raw blob serves a range without reading the rest (BODY[]<0.1024> of a large message).
      const handle = await openOrNotFound(path, id)
      try {
        const head = Buffer.alloc(1)
        await handle.read(head, 0, 1, 0)
        if (head[0] === FORMAT_RAW) {
          const length = Math.max(0, range.end - range.start)
          const out = Buffer.alloc(length)
          const { bytesRead } = await handle.read(out, 0, length, 1 + range.start)
          return out.subarray(0, bytesRead)
        }
      } finally {
        await handle.close()
      }
    }
    const file = await readFile(path).catch((error) => {
      throw notFound(error, id)
    })
    const bytes = await decode(file, id)
    this.#remember(id, bytes)
    return range ? bytes.subarray(range.start, range.end) : bytes
  }

  #remember(id: string, bytes: Uint8Array): void {
    if (bytes.byteLength > CACHE_MAX_BLOB) return
    this.#cache.set(id, bytes)
    this.#cacheBytes += bytes.byteLength
    for (const [key, value] of this.#cache) {
      if (this.#cacheBytes <= CACHE_MAX_BYTES) break
      this.#cache.delete(key)
      this.#cacheBytes -= value.byteLength
    }
  }

  async stream(id: string): Promise<Readable> {
    const path = this.#path(id)
    const handle = await openOrNotFound(path, id)
    const head = Buffer.alloc(1)
    await handle.read(head, 0, 1, 0)
    const file = createReadStream('', { fd: handle, start: 1 })
    if (head[0] === FORMAT_RAW) return file
    if (head[0] !== FORMAT_ZSTD) {
      file.destroy()
      throw new StoreError('unavailable', `Blob ${id} has an unknown format`)
    }
    const inflate = zlib.createZstdDecompress()
    file.on('error', (error) => inflate.destroy(error))
    // A consumer that stops early or a damaged frame must not leave the file open.
    inflate.on('close', () => file.destroy())
    return file.pipe(inflate)
  }

  /** A synchronous stat: the store asks inside its write transaction, where an await on the pool would hold every queued write. */
  async has(id: string): Promise<boolean> {
    return existsSync(this.#path(id))
  }

  async delete(id: string): Promise<void> {
    const cached = this.#cache.get(id)
    if (cached) {
      this.#cache.delete(id)
      this.#cacheBytes -= cached.byteLength
    }
    await unlink(this.#path(id)).catch((error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    })
  }

  async *ids(): AsyncIterable<string> {
    for (const a of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue
      for (const b of await readdir(join(this.dir, a)).catch(() => [] as string[])) {
        for (const name of await readdir(join(this.dir, a, b)).catch(() => [] as string[])) {
          if (ID_PATTERN.test(name) && name.startsWith(a + b)) yield name
        }
      }
    }
  }
}

/** A blob's stored form: one format byte, then the bytes raw or zstd (whichever is smaller). */
export async function encode(bytes: Uint8Array): Promise<Uint8Array[]> {
  if (bytes.byteLength >= COMPRESS_MIN) {
    const options = bytes.byteLength <= FAST_LEVEL_UP_TO ? FAST_LEVEL : {}
    const packed = bytes.byteLength >= COMPRESS_ASYNC_FROM ? await zstdCompress(bytes, options) : zlib.zstdCompressSync(bytes, options)
    // Only when it saves space: already-compressed attachments (JPEG, ZIP) are stored raw.
    if (packed.byteLength < bytes.byteLength) return [Uint8Array.of(FORMAT_ZSTD), packed]
  }
  return [Uint8Array.of(FORMAT_RAW), bytes]
}

/** The original bytes of a stored form (`encode`'s output, joined). */
export async function decode(file: Buffer, id: string): Promise<Uint8Array> {
  if (file[0] === FORMAT_RAW) return file.subarray(1)
  if (file[0] === FORMAT_ZSTD) {
    try {
      return file.byteLength - 1 >= COMPRESS_ASYNC_FROM ? await zstdDecompress(file.subarray(1)) : zlib.zstdDecompressSync(file.subarray(1))
    } catch (error) {
      throw new StoreError('unavailable', `Blob ${id} is damaged`, { cause: error })
    }
  }
  throw new StoreError('unavailable', `Blob ${id} has an unknown format`)
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsStat(path)
    return true
  } catch {
    return false
  }
}

async function openOrNotFound(path: string, id: string) {
  try {
    return await open(path, 'r')
  } catch (error) {
    throw notFound(error, id)
  }
}

function notFound(error: unknown, id: string): Error {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new StoreError('notFound', `Blob ${id} does not exist`, { cause: error })
  return error as Error
}

async function syncDir(path: string): Promise<void> {
  const fd = await fdOpen(path, 'r')
  try {
    await fdSync(fd)
  } finally {
    await fdClose(fd)
  }
}


/**
 * A message streamed into the spool while it arrives, so DATA never holds a whole message in
 * memory: chunks go to a temp file while SHA-256 and the size are computed; `commit` fsyncs it and
 * renames it to its content address, in the layout and raw format `FsBlobStore` reads
 * (`<dir>/ab/cd/<sha256>`, a first byte 0 = stored raw). A spool that is not an `FsBlobStore`
 * (tests) gets the bytes at commit through `put`.
 */
import { createHash, type Hash } from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import { FsBlobStore } from '../../store/blobs/fs.ts'
// FsBlobStore's temp directory is swept when it opens, so a crash mid-DATA leaves nothing behind.
import { FORMAT_RAW, TMP_DIR } from '../../store/blobs/fs.ts'

/**
 * A message up to this size stays in memory while it arrives (no temp file at all when it can be
 * delivered locally before the 250); a bigger one spills to the temp file and then streams.
 */
const HOLD_MAX_BYTES = 256 * 1024
/**
 * All messages held in memory at once, across every connection: past it, new data spills to disk.
 * This is what bounds DATA's memory: 2,000 connections × HOLD_MAX_BYTES would be 500 MiB.
 */
const HOLD_BUDGET_BYTES = 32 * 1024 * 1024
/** The spool file is an FsBlobStore blob written in place: its uncompressed format byte. */
const RAW_HEADER = Uint8Array.of(FORMAT_RAW)

const fdOpen = promisify(fs.open)
const fdWritev = promisify(fs.writev)
const fdSync = promisify(fs.fsync)
const fdClose = promisify(fs.close)
const fsRename = promisify(fs.rename)
const fsUnlink = promisify(fs.unlink)
const fsMkdir = promisify(fs.mkdir)

export interface SpoolFile {
  /** Bytes written so far. */
  readonly size: number
  write(chunk: Uint8Array): Promise<void>
  /** The whole message when it is still held in memory (small, never spilled); else null. */
  held(): Uint8Array | null
  /** Makes the bytes durable under their SHA-256 id (fsync, rename, directory fsync). */
  commit(): Promise<{ id: string; size: number }>
  /** Forgets the bytes (refused message, error); safe to call twice or after a failed commit. */
  abort(): Promise<void>
}

export function openSpoolFile(spool: BlobStore, options: { durable: boolean }): SpoolFile {
  return spool instanceof FsBlobStore ? new FsSpoolFile(spool.dir, options.durable) : new MemorySpoolFile(spool)
}

let tmpSeq = 0
/** Bytes of messages held in memory by every open spool file of this process. */
let heldBytes = 0
/** `ab/cd` directories known to exist (and be durable), per process. */
const knownDirs = new Set<string>()

class FsSpoolFile implements SpoolFile {
  readonly #dir: string
  readonly #durable: boolean
  readonly #hash: Hash = createHash('sha256')
  readonly #tmp: string
  #fd: number | null = null
  /** Chunks not yet written: the whole message while it is held in memory. */
  #pending: Uint8Array[] = []
  /** Of HOLD_BUDGET_BYTES, what this file holds (0 once spilled). */
  #reserved = 0
  #size = 0
  /** The temp file exists (it must be unlinked unless renamed). */
  #created = false
  #done = false

  constructor(dir: string, durable: boolean) {
    this.#dir = dir
    this.#durable = durable
    this.#tmp = join(dir, TMP_DIR, `smtp.${process.pid}.${++tmpSeq}`)
  }

  get size(): number {
    return this.#size
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return
    this.#hash.update(chunk)
    this.#size += chunk.byteLength
    this.#pending.push(chunk)
    if (this.#fd === null && this.#size <= HOLD_MAX_BYTES && heldBytes + chunk.byteLength <= HOLD_BUDGET_BYTES) {
      heldBytes += chunk.byteLength
      this.#reserved += chunk.byteLength
      return
    }
    await this.#flush()
  }

  held(): Uint8Array | null {
    return this.#fd === null && !this.#done ? Buffer.concat(this.#pending) : null
  }

  #unreserve(): void {
    heldBytes -= this.#reserved
    this.#reserved = 0
  }

  async #flush(): Promise<void> {
    if (this.#fd === null) {
      this.#fd = await fdOpen(this.#tmp, 'wx')
      this.#created = true
      this.#pending.unshift(RAW_HEADER)
    }
    const pending = this.#pending
    this.#pending = []
    this.#unreserve()
    if (pending.length > 0) await fdWritev(this.#fd, pending)
  }

  async commit(): Promise<{ id: string; size: number }> {
    const id = this.#hash.digest('hex')
    try {
      await this.#flush()
      if (this.#durable) await fdSync(this.#fd!)
      await fdClose(this.#fd!)
      this.#fd = null
      const parent = join(this.#dir, id.slice(0, 2), id.slice(2, 4))
      await ensureDir(this.#dir, parent, this.#durable)
      await fsRename(this.#tmp, join(parent, id))
      this.#done = true
      if (this.#durable) await syncDir(parent)
    } catch (error) {
      await this.abort()
      throw error
    }
    return { id, size: this.#size }
  }

  async abort(): Promise<void> {
    this.#pending = []
    this.#unreserve()
    if (this.#fd !== null) {
      const fd = this.#fd
      this.#fd = null
      await fdClose(fd).catch(() => {})
    }
    if (!this.#done && this.#created) await fsUnlink(this.#tmp).catch(() => {})
    this.#done = true
  }
}

/** Creates `ab/cd` once; a new directory is durable only once its parent is fsynced too. */
async function ensureDir(root: string, parent: string, durable: boolean): Promise<void> {
  if (knownDirs.has(parent)) return
  const created = await fsMkdir(parent, { recursive: true })
  if (created !== undefined && durable) {
    const top = join(parent, '..')
    await syncDir(top)
    if (created === top) await syncDir(root)
  }
  knownDirs.add(parent)
}

async function syncDir(path: string): Promise<void> {
  const fd = await fdOpen(path, 'r')
  try {
    await fdSync(fd)
  } finally {
    await fdClose(fd)
  }
}

/** For spools that only offer `put`: the bytes are gathered (tests with in-memory spools). */
class MemorySpoolFile implements SpoolFile {
  readonly #spool: BlobStore
  #chunks: Uint8Array[] = []
  #size = 0

  constructor(spool: BlobStore) {
    this.#spool = spool
  }

  get size(): number {
    return this.#size
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#chunks.push(chunk)
    this.#size += chunk.byteLength
  }

  held(): Uint8Array | null {
    return Buffer.concat(this.#chunks)
  }

  async commit(): Promise<{ id: string; size: number }> {
    const blob = await this.#spool.put(Buffer.concat(this.#chunks))
    this.#chunks = []
    return blob
  }

  async abort(): Promise<void> {
    this.#chunks = []
  }
}

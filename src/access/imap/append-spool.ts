/**
 * An APPEND literal on its way in (RFC 9051 §6.3.12): written to a temp file as it arrives, so a
 * client trickling a 50 MiB message holds a temp file, not 50 MiB of our memory. The file lives
 * in the blob store's temp directory when there is one (swept when the store opens, so a crash
 * mid-APPEND leaves nothing behind), else in the system's.
 */
import fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { BlobStore } from '../../store/blobs/blob-store.ts'
import { FsBlobStore, TMP_DIR } from '../../store/blobs/fs.ts'

const fdOpen = promisify(fs.open)
const fdWrite = promisify(fs.write)
const fdClose = promisify(fs.close)
const fsReadFile = promisify(fs.readFile)
const fsUnlink = promisify(fs.unlink)

let seq = 0

/** Where APPEND spools go: the blob store's temp directory, or the system's. */
export function spoolDirectory(blobs: BlobStore | undefined): string {
  return blobs instanceof FsBlobStore ? join(blobs.dir, TMP_DIR) : tmpdir()
}

export class AppendSpool {
  readonly path: string
  #fd: number | null = null
  #size = 0
  #discarded = false

  private constructor(path: string) {
    this.path = path
  }

  static async open(dir: string): Promise<AppendSpool> {
    const spool = new AppendSpool(join(dir, `imap-append.${process.pid}.${++seq}`))
    spool.#fd = await fdOpen(spool.path, 'wx', 0o600)
    return spool
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#fd === null) throw new Error('APPEND spool already closed')
    let done = 0
    while (done < chunk.byteLength) done += (await fdWrite(this.#fd, chunk, done, chunk.byteLength - done)).bytesWritten
    this.#size += chunk.byteLength
  }

  /** Closes the file for writing (the literal is complete). */
  async finish(): Promise<void> {
    const fd = this.#fd
    this.#fd = null
    if (fd !== null) await fdClose(fd)
  }

  /** The whole literal, in memory: only for the ingest itself, under the session's byte budget. */
  async read(): Promise<Buffer> {
    await this.finish()
    return fsReadFile(this.path)
  }

  /** Removes the file; safe to call twice. */
  async discard(): Promise<void> {
    if (this.#discarded) return
    this.#discarded = true
    await this.finish().catch(() => {})
    await fsUnlink(this.path).catch(() => {})
  }
}

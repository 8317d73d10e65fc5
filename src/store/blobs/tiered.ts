import { Readable } from 'node:stream'
import { sql, type Engine, type Tx } from '../../db/engine.ts'
import type { BlobStore } from './blob-store.ts'
import { ByteCache } from './byte-cache.ts'
import { decode } from './fs.ts'

/**
 * Blobs up to this size live in the database (`blob_data`), written in the same transaction as
 * their `blobs` row, so one group-committed WAL sync covers bytes and rows of a whole batch of
 * deliveries; a blob file costs its own fsync plus directory fsyncs (~1.4 ms each, which capped
 * durable delivery at a few hundred 4 KiB messages a second). Larger blobs stay files: a big
 * attachment in the WAL is written twice (WAL, then checkpoint), bloats the database file and
 * the backup snapshot, and holds the single writer while it is copied. 64 KiB holds nearly all
 * mail (text and small HTML) while keeping one transaction's bytes small; an attacker sending
 * many messages just under it grows the database exactly as files would grow the disk, and the
 * quota counts both alike.
 */
export const INLINE_BLOB_MAX = 64 * 1024

/** Decompressed inline blobs kept for repeated FETCHes (as FsBlobStore does for files). */
const CACHE_MAX_BYTES = 32 * 1024 * 1024
const CACHE_MAX_BLOB = INLINE_BLOB_MAX
/** Inline ids listed per read query, so `ids()` never loads the whole table at once. */
const IDS_PAGE = 1000

/**
 * The store's view of blob bytes: small ones in the database, the rest in the file store.
 * Reads (`get`, `stream`, `has`, `ids`) serve both transparently. Writing and deleting inline
 * bytes happens inside the store's own write transactions (`putInline`, `deleteInline`), under
 * the same lock as the reference counts; `put` and `delete` here act on files only (the rows
 * are not this object's to change outside a transaction).
 */
export class TieredBlobStore implements BlobStore {
  readonly files: BlobStore
  readonly #engine: Engine
  readonly #cache = new ByteCache(CACHE_MAX_BYTES, CACHE_MAX_BLOB)
  #ready: Promise<boolean> | null = null

  constructor(engine: Engine, files: BlobStore) {
    this.#engine = engine
    this.files = files
  }

  /**
   * Whether the schema has `blob_data` (migration 3). A store opened on an older schema (only
   * ever by tools and tests; the server migrates first) keeps every blob a file.
   */
  inlineReady(): Promise<boolean> {
    this.#ready ??= this.#engine.one(sql`SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'blob_data'`).then((row) => row !== undefined)
    return this.#ready
  }

  put(bytes: Uint8Array): Promise<{ id: string; size: number }> {
    return this.files.put(bytes)
  }

  async #inline(id: string): Promise<Uint8Array | undefined> {
    if (!(await this.inlineReady())) return undefined
    const row = await this.#engine.one<{ data: Uint8Array }>(sql`SELECT data FROM blob_data WHERE id = ${id}`)
    if (!row) return undefined
    const data = row.data
    return decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength), id)
  }

  async get(id: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    let bytes = this.#cache.get(id)
    if (!bytes) {
      bytes = await this.#inline(id)
      if (!bytes) return this.files.get(id, range)
      this.#cache.set(id, bytes)
    }
    return range ? bytes.subarray(range.start, range.end) : bytes
  }

  /** Never from the cache: `verify` re-hashes what is stored. */
  async stream(id: string): Promise<Readable> {
    const bytes = await this.#inline(id)
    return bytes ? Readable.from([bytes]) : this.files.stream(id)
  }

  async has(id: string): Promise<boolean> {
    if (await this.files.has(id)) return true
    return (await this.inlineReady()) && (await this.#engine.one(sql`SELECT 1 AS x FROM blob_data WHERE id = ${id}`)) !== undefined
  }

  /** The file only; inline bytes go with `deleteInline` in the sweep's transaction. */
  async delete(id: string): Promise<void> {
    this.#cache.delete(id)
    await this.files.delete(id)
  }

  /** Every id once: inline ones, then files (a file whose id is also inline is not listed twice). */
  async *ids(): AsyncIterable<string> {
    if (!(await this.inlineReady())) {
      yield* this.files.ids()
      return
    }
    let after = ''
    for (;;) {
      const rows = await this.#engine.all<{ id: string }>(sql`SELECT id FROM blob_data WHERE id > ${after} ORDER BY id LIMIT ${IDS_PAGE}`)
      for (const row of rows) yield row.id
      if (rows.length < IDS_PAGE) break
      after = rows[rows.length - 1].id
    }
    for await (const id of this.files.ids()) {
      if (!(await this.#engine.one(sql`SELECT 1 AS x FROM blob_data WHERE id = ${id}`))) yield id
    }
  }
}

/** Stores a blob's encoded bytes (format byte + payload) inside the caller's write; idempotent. */
export async function putInline(tx: Tx, id: string, stored: Uint8Array): Promise<void> {
  await tx.run(sql`INSERT INTO blob_data (id, data) VALUES (${id}, ${stored}) ON CONFLICT (id) DO NOTHING`)
}

/** Deletes a blob's inline bytes inside the caller's write (the sweep's, with its `blobs` row). */
export async function deleteInline(tx: Tx, id: string): Promise<void> {
  await tx.run(sql`DELETE FROM blob_data WHERE id = ${id}`)
}

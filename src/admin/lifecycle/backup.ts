/**
 * `tidings backup <dir>`: a consistent online snapshot while the server runs. The database comes
 * from SQLite's online backup API (a point-in-time copy, writers keep going); the blobs it
 * references are hard-linked (copied across filesystems). Blobs are linked BEFORE the snapshot
 * is taken: every blob a committed row references was written before its row, so whatever the
 * snapshot names is already linked even if an expunge deletes the live file a moment later.
 * Blobs written after the snapshot are then dropped again. `incrementalFrom` reuses the previous
 * backup's files (same content, same name) instead of reading the live data again. The queue
 * spool (messages accepted but not yet delivered) is copied the same way.
 */
import { DatabaseSync } from 'node:sqlite'
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { blobFiles, blobRelPath, copySmallDir, linkOrCopy } from './blob-files.ts'
import {
  BACKUP_BLOB_DIR, BACKUP_DB_FILE, BACKUP_FORMAT, BACKUP_QUEUE_DIR, BACKUP_TLS_DIR, blobListSha256, readManifest, sha256File, writeManifest,
  type BackupManifest,
} from './manifest.ts'

/** Links in flight at once: file-system calls overlap on libuv's pool. */
const LINK_CONCURRENCY = 8

/** What backup needs of the engine: SqliteEngine has it (its online backup API). */
export interface SnapshotSource {
  backupTo(path: string): Promise<void>
}

export interface BackupOptions {
  engine: SnapshotSource
  /** The live blob directory (FsBlobStore's `dir`). */
  blobDir: string
  /** The transport's queue spool (`<data_dir>/queue`), when there is one. */
  queueDir?: string
  /** The generated certificate (`<data_dir>/tls`): restored, clients see the same one. */
  tlsDir?: string
  /** Where the backup goes: must be absent or empty. */
  dir: string
  incrementalFrom?: string
}

export class BackupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BackupError'
  }
}

export async function backup(options: BackupOptions): Promise<BackupManifest> {
  const started = Date.now()
  await requireEmptyDir(options.dir)
  if (options.incrementalFrom) await readManifest(options.incrementalFrom) // refuses an unfinished or foreign directory
  const areas = [
    new BlobArea(options.blobDir, join(options.dir, BACKUP_BLOB_DIR), options.incrementalFrom && join(options.incrementalFrom, BACKUP_BLOB_DIR)),
    ...(options.queueDir
      ? [new BlobArea(options.queueDir, join(options.dir, BACKUP_QUEUE_DIR), options.incrementalFrom && join(options.incrementalFrom, BACKUP_QUEUE_DIR))]
      : []),
  ]
  // 1. Every blob that exists now (see the module comment for why this comes first).
  for (const area of areas) await area.linkExisting()
  if (options.tlsDir) await copySmallDir(options.tlsDir, join(options.dir, BACKUP_TLS_DIR))
  // 2. The database, as of one instant.
  const dbPath = join(options.dir, BACKUP_DB_FILE)
  await options.engine.backupTo(dbPath)
  const snapshot = readSnapshot(dbPath)
  // 3. Blobs committed between step 1 and the snapshot; 4. blobs newer than the snapshot.
  const [blobs, queue] = areas
  const missing = await blobs.settle(snapshot.blobs.map((b) => b.id).filter((id) => !snapshot.inline.has(id)), snapshot.referenced)
  const queueMissing = queue ? await queue.settle(snapshot.queue, new Set(snapshot.queue)) : []

  const inBackup = snapshot.blobs.filter((b) => blobs.placed.has(b.id) || snapshot.inline.has(b.id))
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    tidingsVersion: await tidingsVersion(),
    schemaVersion: snapshot.schemaVersion,
    createdAt: new Date(started).toISOString(),
    incrementalFrom: options.incrementalFrom ?? null,
    counts: { accounts: snapshot.accounts, emails: snapshot.emails, blobs: inBackup.length },
    db: { file: BACKUP_DB_FILE, size: (await stat(dbPath)).size, sha256: await sha256File(dbPath) },
    blobs: {
      dir: BACKUP_BLOB_DIR,
      bytes: inBackup.reduce((sum, b) => sum + b.size, 0),
      listSha256: blobListSha256(inBackup),
      linked: blobs.stats.linked,
      copied: blobs.stats.copied,
      reused: blobs.stats.reused,
      missing,
    },
    queue: queue ? { dir: BACKUP_QUEUE_DIR, messages: snapshot.queue.length, files: queue.placed.size, missing: queueMissing } : null,
    durationMs: Date.now() - started,
  }
  await writeManifest(options.dir, manifest)
  return manifest
}

/** One directory of content-addressed files (the store's blobs, the queue's spool) being copied. */
class BlobArea {
  readonly placed = new Set<string>()
  readonly stats = { linked: 0, copied: 0, reused: 0 }
  readonly #live: string
  readonly #out: string
  readonly #previous: string | null

  constructor(live: string, out: string, previous: string | undefined | '') {
    this.#live = live
    this.#out = out
    this.#previous = previous || null
  }

  async linkExisting(): Promise<void> {
    await mkdir(this.#out, { recursive: true })
    const files = blobFiles(this.#live)
    const worker = async () => {
      for await (const { id, path } of files) {
        try {
          await this.#place(id, path)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error // deleted meanwhile: fine
        }
      }
    }
    await Promise.all(Array.from({ length: LINK_CONCURRENCY }, worker))
  }

  /** Adds what the snapshot names but step 1 missed, drops what it doesn't name; returns ids lost. */
  async settle(wanted: readonly string[], referenced: ReadonlySet<string>): Promise<string[]> {
    const missing: string[] = []
    for (const id of wanted) {
      if (this.placed.has(id)) continue
      try {
        await this.#place(id, join(this.#live, blobRelPath(id)))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        if (referenced.has(id)) missing.push(id)
      }
    }
    const known = new Set(wanted)
    for (const id of [...this.placed]) {
      if (known.has(id)) continue
      await unlink(join(this.#out, blobRelPath(id)))
      this.placed.delete(id)
    }
    return missing
  }

  async #place(id: string, livePath: string): Promise<void> {
    const target = join(this.#out, blobRelPath(id))
    if (this.#previous) {
      try {
        this.stats[await linkOrCopy(join(this.#previous, blobRelPath(id)), target)]++
        this.stats.reused++
        this.placed.add(id)
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
    this.stats[await linkOrCopy(livePath, target)]++
    this.placed.add(id)
  }
}

interface Snapshot {
  schemaVersion: number
  accounts: number
  emails: number
  blobs: Array<{ id: string; size: number }>
  /** Blobs whose bytes are inside the database (no file to copy). */
  inline: Set<string>
  /** Blobs some email or item points at (the rest are awaiting deletion). */
  referenced: Set<string>
  /** Spool files of messages in the outbound queue (accepted, not yet delivered). */
  queue: string[]
}

/** Reads the copy (never the live database) and turns it into a self-contained single file. */
function readSnapshot(path: string): Snapshot {
  const db = new DatabaseSync(path)
  try {
    // The copy inherits WAL mode; a backup must be one file that opens anywhere.
    db.exec('PRAGMA journal_mode = DELETE')
    const count = (table: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n)
    const version = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }
    // Small blobs live inside the database (blob_data, migration 3) and travel in this snapshot.
    const hasInline = db.prepare("SELECT name FROM sqlite_master WHERE name = 'blob_data'").get() !== undefined
    const inline = new Set(hasInline ? (db.prepare('SELECT id FROM blob_data').all() as Array<{ id: string }>).map((r) => String(r.id)) : [])
    const blobs = (db.prepare('SELECT id, size FROM blobs').all() as Array<{ id: string; size: number }>)
      .map((b) => ({ id: String(b.id), size: Number(b.size) }))
    const referenced = new Set<string>()
    for (const table of ['emails', 'items']) {
      for (const row of db.prepare(`SELECT DISTINCT blob_id FROM ${table}`).all() as Array<{ blob_id: string }>) referenced.add(row.blob_id)
    }
    const hasQueue = db.prepare("SELECT name FROM sqlite_master WHERE name = 'queue_messages'").get() !== undefined
    const queue = hasQueue ? (db.prepare('SELECT DISTINCT blob_id FROM queue_messages').all() as Array<{ blob_id: string }>).map((r) => String(r.blob_id)) : []
    return { schemaVersion: version.v ?? 0, accounts: count('accounts'), emails: count('emails'), blobs, inline, referenced, queue }
  } finally {
    db.close()
  }
}

async function requireEmptyDir(dir: string): Promise<void> {
  try {
    const entries = await readdir(dir)
    if (entries.length > 0) throw new BackupError(`Backup directory ${dir} is not empty; choose a new one`)
  } catch (error) {
    if (error instanceof BackupError) throw error
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BackupError(`Cannot use backup directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? error}`)
    }
  }
  await mkdir(dir, { recursive: true })
}

async function tidingsVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

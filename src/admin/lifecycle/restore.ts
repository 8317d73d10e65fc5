/**
 * `tidings restore <backup> --data <new dir>`: rebuilds a data directory from a backup. The
 * database must match its manifest hash (it is the one thing that can't be restored in part);
 * every blob is re-hashed, and a missing or corrupt one is left out and reported with the
 * messages it carried (account, folder, UID, subject), while everything else is restored.
 */
import { createHash } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'
import { copyFile, mkdir, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlobStore } from '../../store/blobs/fs.ts'
import { blobRelPath, copySmallDir, linkOrCopy } from './blob-files.ts'
import { BACKUP_BLOB_DIR, BACKUP_DB_FILE, BACKUP_TLS_DIR, readManifest, sha256File, type BackupManifest } from './manifest.ts'

/** Blobs re-hashed at once: enough to overlap disk reads, few enough to bound memory. */
const HASH_CONCURRENCY = 8
/** Affected messages listed per damaged blob; a blob shared by a huge list stays readable. */
const MAX_AFFECTED_PER_BLOB = 1000

export interface AffectedMessage {
  account: string
  folder: string
  uid: number
  subject: string
}

export interface DamagedBlob {
  id: string
  reason: 'missing' | 'corrupt'
  messages: AffectedMessage[]
}

export interface RestoreReport {
  manifest: BackupManifest
  dataDir: string
  blobs: number
  damaged: DamagedBlob[]
  /** Queue spool files that could not be restored, with the queued messages (ids) they held. */
  damagedQueue: Array<{ id: string; reason: 'missing' | 'corrupt'; queueIds: string[] }>
  durationMs: number
}

export class RestoreError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RestoreError'
  }
}

export async function restore(options: { from: string; dataDir: string }): Promise<RestoreReport> {
  const started = Date.now()
  const manifest = await readManifest(options.from)
  const dbFrom = join(options.from, BACKUP_DB_FILE)
  const hash = await sha256File(dbFrom).catch(() => null)
  if (hash !== manifest.db.sha256) {
    throw new RestoreError(`${dbFrom} does not match the manifest (${hash ? 'hash differs' : 'unreadable'}): the backup's database is damaged`)
  }
  await requireFreshDataDir(options.dataDir)
  const dbTo = join(options.dataDir, 'tidings.db')
  // A copy, never a link: the restored database will be written to.
  await copyFile(dbFrom, dbTo)
  const db = new DatabaseSync(dbTo)
  try {
    const check = db.prepare('PRAGMA quick_check').get() as Record<string, string>
    if (Object.values(check)[0] !== 'ok') throw new RestoreError(`${dbFrom} fails SQLite's integrity check: ${Object.values(check)[0]}`)
    // Small blobs live inside the database (blob_data, migration 3): restored with it, no file.
    const hasInline = db.prepare("SELECT name FROM sqlite_master WHERE name = 'blob_data'").get() !== undefined
    const inline = new Set(hasInline ? (db.prepare('SELECT id FROM blob_data').all() as Array<{ id: string }>).map((r) => String(r.id)) : [])
    const ids = (db.prepare('SELECT id FROM blobs').all() as Array<{ id: string }>).map((r) => String(r.id))
    const blobDir = join(options.dataDir, 'blobs')
    const blobs = new FsBlobStore(blobDir, { durable: false })
    const damaged: DamagedBlob[] = []
    let next = 0
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]
        if (inline.has(id)) continue
        const problem = await restoreBlob(id, join(options.from, BACKUP_BLOB_DIR), blobDir, blobs)
        if (problem) damaged.push({ id, reason: problem, messages: affected(db, id) })
      }
    }
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker))
    damaged.sort((a, b) => (a.id < b.id ? -1 : 1))
    await copySmallDir(join(options.from, BACKUP_TLS_DIR), join(options.dataDir, 'tls'))
    const damagedQueue = manifest.queue ? await restoreQueue(db, join(options.from, manifest.queue.dir), join(options.dataDir, 'queue')) : []
    return { manifest, dataDir: options.dataDir, blobs: ids.length - damaged.length, damaged, damagedQueue, durationMs: Date.now() - started }
  } finally {
    db.close()
  }
}

/** Links one blob in and checks its bytes hash to its id; returns what is wrong, if anything. */
async function restoreBlob(id: string, fromDir: string, toDir: string, blobs: FsBlobStore): Promise<'missing' | 'corrupt' | null> {
  const target = join(toDir, blobRelPath(id))
  try {
    await linkOrCopy(join(fromDir, blobRelPath(id)), target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const bytes = await blobs.get(id)
    if (createHash('sha256').update(bytes).digest('hex') === id) return null
  } catch { /* undecodable: corrupt */ }
  // Leave it out rather than serve wrong bytes; `verify` then names it as missing.
  await unlink(target).catch(() => {})
  return 'corrupt'
}

/** The outbound queue's spool files, checked the same way. */
async function restoreQueue(db: DatabaseSync, from: string, to: string): Promise<RestoreReport['damagedQueue']> {
  const rows = db.prepare('SELECT blob_id, group_concat(id) AS ids FROM queue_messages GROUP BY blob_id').all() as Array<{ blob_id: string; ids: string }>
  const spool = new FsBlobStore(to, { durable: false })
  const damaged: RestoreReport['damagedQueue'] = []
  for (const row of rows) {
    const problem = await restoreBlob(String(row.blob_id), from, to, spool)
    if (problem) damaged.push({ id: String(row.blob_id), reason: problem, queueIds: String(row.ids).split(',') })
  }
  return damaged
}

function affected(db: DatabaseSync, blobId: string): AffectedMessage[] {
  const rows = db.prepare(`
    SELECT coalesce(p.address, '#' || e.account_id) AS account, f.path AS folder, m.uid AS uid, e.subject AS subject
    FROM emails e
    JOIN memberships m ON m.email_id = e.id
    JOIN folders f ON f.id = m.folder_id
    LEFT JOIN principals p ON p.id = e.account_id
    WHERE e.blob_id = ?
    ORDER BY account, folder, uid
    LIMIT ${MAX_AFFECTED_PER_BLOB}`).all(blobId) as Array<{ account: string; folder: string; uid: number; subject: string }>
  return rows.map((r) => ({ account: String(r.account), folder: String(r.folder), uid: Number(r.uid), subject: String(r.subject) }))
}

async function requireFreshDataDir(dir: string): Promise<void> {
  try {
    const entries = await readdir(dir)
    if (entries.length > 0) throw new RestoreError(`Data directory ${dir} is not empty; restore into a new one`)
  } catch (error) {
    if (error instanceof RestoreError) throw error
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new RestoreError(`Cannot use data directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  await mkdir(dir, { recursive: true })
}

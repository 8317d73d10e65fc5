/**
 * `manifest.json` of a backup: written last, so a directory without one is an unfinished backup.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const MANIFEST_FILE = 'manifest.json'
export const BACKUP_FORMAT = 'tidings-backup/1'
export const BACKUP_DB_FILE = 'tidings.db'
export const BACKUP_BLOB_DIR = 'blobs'
export const BACKUP_QUEUE_DIR = 'queue'
export const BACKUP_TLS_DIR = 'tls'
/** A manifest bigger than this is not ours: stops a hostile file being parsed whole. */
const MAX_MANIFEST_BYTES = 1024 * 1024

export interface BackupManifest {
  format: typeof BACKUP_FORMAT
  tidingsVersion: string
  schemaVersion: number
  createdAt: string
  /** The backup this one reused blobs from, when incremental. */
  incrementalFrom: string | null
  counts: { accounts: number; emails: number; blobs: number }
  db: { file: string; size: number; sha256: string }
  blobs: {
    dir: string
    bytes: number
    /** SHA-256 of the sorted "<id> <size>\n" lines of every blob in the backup. */
    listSha256: string
    linked: number
    copied: number
    /** Taken from the previous backup (incremental). */
    reused: number
    /** Referenced by the snapshot but gone from the data directory when copied. */
    missing: string[]
  }
  /** The outbound queue's spool files (messages accepted, not yet delivered). */
  queue: { dir: string; messages: number; files: number; missing: string[] } | null
  durationMs: number
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export function blobListSha256(blobs: ReadonlyArray<{ id: string; size: number }>): string {
  const hash = createHash('sha256')
  for (const b of [...blobs].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) hash.update(`${b.id} ${b.size}\n`)
  return hash.digest('hex')
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const tmp = join(dir, MANIFEST_FILE + '.tmp')
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n')
  await rename(tmp, join(dir, MANIFEST_FILE))
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  const path = join(dir, MANIFEST_FILE)
  let text: string
  try {
    const bytes = await readFile(path)
    if (bytes.length > MAX_MANIFEST_BYTES) throw new Error('too big')
    text = bytes.toString('utf8')
  } catch (error) {
    throw new Error(`${dir} is not a Tidings backup (no readable ${MANIFEST_FILE}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let manifest: BackupManifest
  try {
    manifest = JSON.parse(text) as BackupManifest
  } catch {
    throw new Error(`${path} is not valid JSON`)
  }
  if (manifest?.format !== BACKUP_FORMAT) throw new Error(`${path}: unknown backup format ${JSON.stringify(manifest?.format)}`)
  return manifest
}

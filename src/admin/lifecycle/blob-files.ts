/**
 * Blob files as the embedded blob store lays them out (`ab/cd/<sha256>`, see store/blobs/fs.ts).
 * Backup and restore are admin code and may handle these files directly: blob files are
 * immutable (written once under their hash, replaced only by rename), so a hard link is a safe,
 * free copy.
 */
import { copyFile, link, mkdir, readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'

const ID_PATTERN = /^[0-9a-f]{64}$/

export function blobRelPath(id: string): string {
  return join(id.slice(0, 2), id.slice(2, 4), id)
}

/** Every blob file under `dir` (temp files of unfinished writes are not blobs). */
export async function* blobFiles(dir: string): AsyncGenerator<{ id: string; path: string }> {
  let top
  try {
    top = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const a of top) {
    if (!a.isDirectory() || !/^[0-9a-f]{2}$/.test(a.name)) continue
    for (const b of await readdir(join(dir, a.name), { withFileTypes: true })) {
      if (!b.isDirectory()) continue
      for (const f of await readdir(join(dir, a.name, b.name), { withFileTypes: true })) {
        if (f.isFile() && ID_PATTERN.test(f.name)) yield { id: f.name, path: join(dir, a.name, b.name, f.name) }
      }
    }
  }
}

/**
 * Hard-links `from` to `to` (creating parents); copies when they are on different filesystems
 * (or links are not allowed). Resolves to how it was done; rejects with ENOENT if `from` is gone.
 */
export async function linkOrCopy(from: string, to: string, retried = false): Promise<'linked' | 'copied'> {
  try {
    await link(from, to)
    return 'linked'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return 'linked'
    if (code === 'ENOENT' && !retried) {
      // Usually the target's `ab/cd` directory is new (so the common case costs one syscall);
      // if the source is what is missing, the second attempt says so.
      await mkdir(dirname(to), { recursive: true })
      return linkOrCopy(from, to, true)
    }
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error
  }
  await mkdir(dirname(to), { recursive: true })
  await copyFile(from, to)
  return 'copied'
}

/** Files a small directory holds (certificates): copied, never linked, since they get replaced. */
const MAX_SMALL_FILES = 100

/** Copies the regular files of `from` (not recursive) into `to`, modes kept; absent `from` is fine. */
export async function copySmallDir(from: string, to: string): Promise<number> {
  let entries
  try {
    entries = await readdir(from, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  const files = entries.filter((e) => e.isFile()).slice(0, MAX_SMALL_FILES)
  await mkdir(to, { recursive: true, mode: 0o700 })
  for (const f of files) await copyFile(join(from, f.name), join(to, f.name))
  return files.length
}

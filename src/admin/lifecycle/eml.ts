/**
 * A folder of `.eml` files: one directory per folder (nested as the folder tree), one file per
 * message, and a `flags.json` beside them keeping what an .eml cannot hold (keywords, internal
 * date). Any directory of .eml files imports, with or without `flags.json`.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { SourceItem } from './source.ts'

export const EML_FLAGS_FILE = 'flags.json'
/** Folder nesting followed: stops a symlink loop or hostile tree recursing forever. */
const MAX_DEPTH = 32
/** A flags.json bigger than this is ignored: stops one file exhausting memory. */
const MAX_FLAGS_FILE_BYTES = 64 * 1024 * 1024

export interface EmlFlags {
  keywords: string[]
  receivedAt: number
}

/** A folder path component as a directory name: "/" can't occur; "." and ".." are escaped. */
export function folderFileName(part: string): string {
  return part === '.' || part === '..' || part === '' ? `_${part}_` : part
}

export function folderPartOfFileName(name: string): string {
  return /^_\.{0,2}_$/.test(name) ? name.slice(1, -1) : name
}

/** Every .eml under `root`: files in the root are the inbox, subdirectories are folders. */
export async function* readEmlTree(root: string): AsyncGenerator<SourceItem> {
  yield* readEmlDir(root, [], 0)
}

async function* readEmlDir(dir: string, path: string[], depth: number): AsyncGenerator<SourceItem> {
  const folder = path.length === 0 ? 'INBOX' : path.join('/')
  const entries = await readdir(dir, { withFileTypes: true })
  if (path.length > 0) yield { kind: 'folder', folder }
  const flags = await readFlags(dir)
  const files = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.eml')).map((e) => e.name)
  // Numeric names (our exports: "<uid>.eml") in number order, others by name.
  files.sort((a, b) => (Number.parseInt(a) || 0) - (Number.parseInt(b) || 0) || (a < b ? -1 : a > b ? 1 : 0))
  for (const name of files) {
    const file = join(dir, name)
    const meta = flags[name]
    let receivedAt = meta?.receivedAt
    if (receivedAt === undefined) {
      try {
        receivedAt = Math.floor((await stat(file)).mtimeMs)
      } catch (error) {
        yield { folder, label: `${folder}: ${name}`, error: (error as Error).message }
        continue
      }
    }
    const keywords = Array.isArray(meta?.keywords) ? meta.keywords.filter((k) => typeof k === 'string') : []
    yield { folder, label: `${folder}: ${name}`, keywords, receivedAt, load: () => readFile(file) }
  }
  if (depth >= MAX_DEPTH) return
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) yield* readEmlDir(join(dir, e.name), [...path, folderPartOfFileName(e.name)], depth + 1)
  }
}

async function readFlags(dir: string): Promise<Record<string, EmlFlags | undefined>> {
  try {
    const file = join(dir, EML_FLAGS_FILE)
    if ((await stat(file)).size > MAX_FLAGS_FILE_BYTES) return {}
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, EmlFlags>) : {}
  } catch {
    return {}
  }
}

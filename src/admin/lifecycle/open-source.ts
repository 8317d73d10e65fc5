/**
 * Picks the reader for an import path: an mbox file, a Maildir (Maildir++ or LAYOUT=fs), a
 * directory of mbox files, or a directory of .eml files. Errors are one clear line.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isMaildir, maildirFolders, readMaildir } from './maildir-read.ts'
import { looksLikeMbox, NotMboxError, type MboxVariant } from './mbox.ts'
import { readMboxFile, readMboxTree } from './mbox-tree.ts'
import { readEmlTree } from './eml.ts'
import type { SourceItem } from './source.ts'

export const IMPORT_FORMATS = ['auto', 'mbox', 'maildir', 'eml'] as const
export type ImportFormat = (typeof IMPORT_FORMATS)[number]

export class ImportSourceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImportSourceError'
  }
}

export interface OpenedSource {
  format: Exclude<ImportFormat, 'auto'>
  items: AsyncIterable<SourceItem>
}

export async function openSource(
  path: string,
  options: { format?: ImportFormat; variant?: MboxVariant; folder?: string } = {},
): Promise<OpenedSource> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    throw new ImportSourceError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const format = options.format ?? 'auto'
  if (info.isFile()) {
    if (format === 'eml' || (format === 'auto' && path.toLowerCase().endsWith('.eml'))) {
      throw new ImportSourceError(`${path}: import a directory of .eml files, not a single one`)
    }
    if (format === 'maildir') throw new ImportSourceError(`${path} is a file, not a Maildir directory`)
    // Refuse before anything is written: the whole point of the check is an early, clear error.
    if (!(await looksLikeMbox(path))) throw new NotMboxError(path)
    return { format: 'mbox', items: readMboxFile(path, options.folder ?? 'INBOX', options.variant) }
  }
  if (!info.isDirectory()) throw new ImportSourceError(`${path} is neither a file nor a directory`)
  if (format === 'maildir' || (format === 'auto' && (await isMaildirTree(path)))) {
    if ((await maildirFolders(path)).length === 0) throw new ImportSourceError(`${path} is not a Maildir: no cur/ or new/ found`)
    return { format: 'maildir', items: readMaildir(path) }
  }
  if (format === 'mbox') return { format: 'mbox', items: readMboxTree(path, options.variant) }
  if (format === 'eml') return { format: 'eml', items: readEmlTree(path) }
  const kind = await sniffDirectory(path, 0)
  if (kind === 'mbox') return { format: 'mbox', items: readMboxTree(path, options.variant) }
  if (kind === 'eml') return { format: 'eml', items: readEmlTree(path) }
  throw new ImportSourceError(`${path} holds no mbox, Maildir or .eml files`)
}

async function isMaildirTree(dir: string): Promise<boolean> {
  if (await isMaildir(dir)) return true
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith('.') && e.name.length > 1 && (await isMaildir(join(dir, e.name)))) return true
  }
  return false
}

/** Does the tree hold mbox files or .eml files (whichever is found first, breadth first)? */
async function sniffDirectory(dir: string, depth: number): Promise<'mbox' | 'eml' | null> {
  if (depth > 4) return null
  const entries = await readdir(dir, { withFileTypes: true })
  for (const e of entries) {
    if (!e.isFile()) continue
    if (e.name.toLowerCase().endsWith('.eml')) return 'eml'
    if (e.name.toLowerCase().endsWith('.mbox') || (await looksLikeMbox(join(dir, e.name)))) return 'mbox'
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue
    const found = await sniffDirectory(join(dir, e.name), depth + 1)
    if (found) return found
  }
  return null
}

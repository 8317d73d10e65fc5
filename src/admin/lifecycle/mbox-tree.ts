/**
 * An mbox file, or a directory of them, as an import source. In a directory, `Work/2025.mbox` is
 * the folder "Work/2025"; Thunderbird's extension-less mbox files with `.sbd` child directories
 * are understood too. Flags come from the Status/X-Status/X-Keywords headers (then removed).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fromLineDate, looksLikeMbox, NotMboxError, readMbox, type MboxVariant } from './mbox.ts'
import { takeStatusHeaders } from './mbox-flags.ts'
import { folderPartOfFileName } from './eml.ts'
import type { SourceItem } from './source.ts'

/** Folder nesting followed: stops a symlink loop or hostile tree recursing forever. */
const MAX_DEPTH = 32
/** Files we know are not mailboxes (Thunderbird's indexes, our own exports' side files). */
const NOT_MAILBOXES = /\.(msf|json|dat|html|txt|eml)$/i

/** One mbox file into `folder`; throws NotMboxError (before yielding) when it isn't one. */
export async function* readMboxFile(file: string, folder: string, variant?: MboxVariant): AsyncGenerator<SourceItem> {
  for await (const entry of readMbox(file, { variant })) {
    const label = `${folder}: message ${entry.index + 1} at byte ${entry.offset}`
    if ('error' in entry) {
      yield { folder, label, error: entry.error }
      continue
    }
    const { raw, keywords } = takeStatusHeaders(entry.raw)
    yield { folder, label, keywords, receivedAt: fromLineDate(entry.fromLine), load: async () => raw }
  }
}

/** Every mbox under `root`, folder by folder. */
export async function* readMboxTree(root: string, variant?: MboxVariant): AsyncGenerator<SourceItem> {
  yield* walk(root, [], variant, 0)
}

async function* walk(dir: string, path: string[], variant: MboxVariant | undefined, depth: number): AsyncGenerator<SourceItem> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.') || NOT_MAILBOXES.test(e.name)) continue
    const file = join(dir, e.name)
    const explicit = e.name.toLowerCase().endsWith('.mbox')
    if (!explicit && !(await looksLikeMbox(file))) continue
    const name = folderPartOfFileName(explicit ? e.name.slice(0, -'.mbox'.length) : e.name)
    const folder = [...path, name].join('/')
    try {
      if (!(await looksLikeMbox(file))) throw new NotMboxError(file)
      yield { kind: 'folder', folder }
      yield* readMboxFile(file, folder, variant)
    } catch (error) {
      yield { folder, label: file, error: (error as Error).message }
    }
  }
  if (depth >= MAX_DEPTH) return
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue
    const name = folderPartOfFileName(e.name.replace(/\.sbd$/i, ''))
    yield* walk(join(dir, e.name), [...path, name], variant, depth + 1)
  }
}

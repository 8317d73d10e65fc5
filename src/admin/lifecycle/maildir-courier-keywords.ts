/**
 * Courier-IMAP's custom keywords, kept beside a maildir's messages in `courierimapkeywords/`:
 * - `:list`: the keyword names one per line, a blank line, then `<base name>:<i> <j> …` lines
 *   (0-based indexes into the names) for each message that has keywords;
 * - update files written since the list was last rewritten: `.<n>.<base name>` (the highest `n`
 *   wins) or, older style, `<base name>`, each holding that message's whole keyword set, one name
 *   a line (empty: none). An update replaces the message's `:list` entry.
 * The base name is the message file name without its `:2,…` info (maildir-flags.ts `baseName`).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { baseName } from './maildir-flags.ts'

export const COURIER_KEYWORDS_DIR = 'courierimapkeywords'
/** A `:list` bigger than this is not read (one line per message: ample for millions of them). */
const MAX_LIST_BYTES = 64 * 1024 * 1024
/** One message's update file: a hostile file is not read whole. */
const MAX_UPDATE_BYTES = 64 * 1024
/** Update files read per folder: a directory flooded with them cannot stall the import. */
const MAX_UPDATE_FILES = 100_000
/** Keyword names per folder and per message taken from these files. */
const MAX_NAMES = 10_000
const MAX_PER_MESSAGE = 200

/** Base name → custom keywords, from a folder's `courierimapkeywords/`; empty when absent or unreadable. */
export async function readCourierKeywords(folderDir: string): Promise<Map<string, string[]>> {
  const dir = join(folderDir, COURIER_KEYWORDS_DIR)
  const out = new Map<string, string[]>()
  await readList(join(dir, ':list'), out)
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch {
    return out
  }
  // Newest update per message: a plain `<base>` file outranks every `.<n>.<base>` one.
  const newest = new Map<string, { file: string; n: number }>()
  for (const file of entries.slice(0, MAX_UPDATE_FILES)) {
    if (file === ':list' || file.startsWith(':')) continue
    const counted = /^\.(\d+)\.(.+)$/.exec(file)
    const base = baseName(counted ? counted[2] : file)
    const n = counted ? Number(counted[1]) : Infinity
    if (!counted && file.startsWith('.')) continue
    const seen = newest.get(base)
    if (!seen || n > seen.n) newest.set(base, { file, n })
  }
  for (const [base, { file }] of newest) {
    const names = await readUpdate(join(dir, file))
    if (names) out.set(base, names)
  }
  return out
}

async function readList(path: string, out: Map<string, string[]>): Promise<void> {
  let text: string
  try {
    if ((await stat(path)).size > MAX_LIST_BYTES) return
    text = await readFile(path, 'utf8')
  } catch {
    return
  }
  const lines = text.split('\n')
  const names: string[] = []
  let i = 0
  for (; i < lines.length && lines[i].trim() !== ''; i++) if (names.length < MAX_NAMES) names.push(lines[i].trim())
  for (i++; i < lines.length; i++) {
    const m = /^(.+):([\d ]*)$/.exec(lines[i].trimEnd())
    if (!m) continue
    const keywords = m[2].split(' ').filter(Boolean).map((n) => names[Number(n)]).filter((k): k is string => k !== undefined)
    out.set(baseName(m[1]), [...new Set(keywords)].slice(0, MAX_PER_MESSAGE))
  }
}

async function readUpdate(path: string): Promise<string[] | null> {
  try {
    const st = await stat(path)
    if (!st.isFile() || st.size > MAX_UPDATE_BYTES) return null
    const text = await readFile(path, 'utf8')
    return [...new Set(text.split('\n').map((l) => l.trim()).filter(Boolean))].slice(0, MAX_PER_MESSAGE)
  } catch {
    return null
  }
}

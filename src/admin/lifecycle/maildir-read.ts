/**
 * Reads a Maildir tree: Maildir++ (Dovecot/Courier: root = INBOX, `.Sub.Folder` beside it, names
 * in modified UTF-7) and Dovecot's LAYOUT=fs (nested directories, each a maildir). Messages come
 * from `new/` and `cur/`, flags from the `:2,` info, custom keywords from `dovecot-keywords` and
 * Courier's `courierimapkeywords/` (maildir-courier-keywords.ts),
 * order from `dovecot-uidlist` when present, internal dates from the files' mtimes.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeMutf7 } from './mutf7.ts'
import { baseName, keywordsOfName, readKeywordNames } from './maildir-flags.ts'
import { readCourierKeywords } from './maildir-courier-keywords.ts'
import type { SourceItem } from './source.ts'

/** Folder nesting followed in LAYOUT=fs: stops a symlink loop or a hostile tree recursing forever. */
const MAX_DEPTH = 32
/** A uidlist bigger than this is ignored (order then falls back to file names). */
const MAX_UIDLIST_BYTES = 64 * 1024 * 1024

/** Is `dir` a maildir (has cur/ or new/)? */
export async function isMaildir(dir: string): Promise<boolean> {
  for (const sub of ['cur', 'new']) {
    try {
      if ((await stat(join(dir, sub))).isDirectory()) return true
    } catch { /* absent */ }
  }
  return false
}

/** Every folder of the tree: [path, directory]. */
export async function maildirFolders(root: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = []
  if (await isMaildir(root)) out.push(['INBOX', root])
  const entries = await readdir(root, { withFileTypes: true })
  for (const e of entries) {
    if (!e.isDirectory() || e.name === '.' || e.name === '..') continue
    const dir = join(root, e.name)
    if (e.name.startsWith('.')) {
      // Maildir++: ".Sub.Folder" is "Sub/Folder"; the separator "." is never part of a name.
      if (await isMaildir(dir)) out.push([e.name.slice(1).split('.').map(decodeMutf7).join('/'), dir])
    } else if (!['cur', 'new', 'tmp'].includes(e.name)) {
      await fsLayout(dir, [decodeMutf7(e.name)], out, 1)
    }
  }
  return out.sort((a, b) => (a[0] === 'INBOX' ? -1 : b[0] === 'INBOX' ? 1 : a[0] < b[0] ? -1 : 1))
}

async function fsLayout(dir: string, path: string[], out: Array<[string, string]>, depth: number): Promise<void> {
  if (depth > MAX_DEPTH) return
  if (await isMaildir(dir)) out.push([path.join('/'), dir])
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.') || ['cur', 'new', 'tmp'].includes(e.name)) continue
    await fsLayout(join(dir, e.name), [...path, decodeMutf7(e.name)], out, depth + 1)
  }
}

/** Every message of the tree, folder by folder, in UID (or delivery) order. */
export async function* readMaildir(root: string): AsyncGenerator<SourceItem> {
  for (const [folder, dir] of await maildirFolders(root)) {
    yield { kind: 'folder', folder }
    const names = await readKeywordNames(dir)
    const courier = await readCourierKeywords(dir)
    const uids = await readUidList(dir)
    const files: Array<{ sub: string; name: string; uid: number; time: number }> = []
    for (const sub of ['new', 'cur']) {
      let list: string[]
      try {
        list = await readdir(join(dir, sub))
      } catch {
        continue
      }
      for (const name of list) {
        if (name.startsWith('.')) continue
        const base = baseName(name)
        files.push({ sub, name, uid: uids.get(base) ?? Number.MAX_SAFE_INTEGER, time: Number.parseFloat(base) || 0 })
      }
    }
    files.sort((a, b) => a.uid - b.uid || a.time - b.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const f of files) {
      const path = join(dir, f.sub, f.name)
      const label = `${folder}: ${f.sub}/${f.name}`
      let receivedAt: number | undefined
      try {
        const st = await stat(path)
        if (!st.isFile()) {
          yield { folder, label, error: 'not a regular file' }
          continue
        }
        receivedAt = Math.floor(st.mtimeMs)
      } catch (error) {
        yield { folder, label, error: (error as Error).message }
        continue
      }
      // new/ holds messages no client has seen: no info part, so no flags (maildir spec).
      const keywords = f.sub === 'cur' ? keywordsOfName(f.name, names) : []
      // Courier keeps custom keywords apart from the file name; both may apply (a migrated tree).
      for (const k of courier.get(baseName(f.name)) ?? []) if (!keywords.includes(k)) keywords.push(k)
      yield { folder, label, keywords, receivedAt, load: () => readFile(path) }
    }
  }
}

/** Dovecot's `dovecot-uidlist` (v3): "<uid> [ext…] :<base name>" lines after a header line. */
async function readUidList(dir: string): Promise<Map<string, number>> {
  const map = new Map<string, number>()
  try {
    const st = await stat(join(dir, 'dovecot-uidlist'))
    if (st.size > MAX_UIDLIST_BYTES) return map
    const text = await readFile(join(dir, 'dovecot-uidlist'), 'utf8')
    for (const line of text.split('\n').slice(1)) {
      const m = /^(\d+)\s.*?:(.+)$/.exec(line) ?? /^(\d+)\s+(\S+)$/.exec(line)
      if (m) map.set(baseName(m[2]), Number(m[1]))
    }
  } catch { /* no uidlist: file-name order */ }
  return map
}

/**
 * Writes Maildir++ (the layout Dovecot and Courier use): the inbox is the root maildir, every
 * other folder a `.Parent.Child` maildir beside it, names in modified UTF-7 with "." escaped.
 * Messages go to `cur/` with their flags in the name and their internal date as the file's mtime
 * (Dovecot reads the received date from it).
 */
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { encodeMutf7 } from './mutf7.ts'
import { keywordsFile, maildirInfo, MAILDIR_MAX_KEYWORDS } from './maildir-flags.ts'

/** Directory of a folder inside a Maildir++ root. */
export function maildirFolderDir(root: string, path: string): string {
  if (path === 'INBOX') return root
  return join(root, '.' + path.split('/').map((part) => encodeMutf7(part, '.')).join('.'))
}

export class MaildirFolderWriter {
  readonly dir: string
  #letters = new Map<string, string>()
  #counter = 0
  #host = hostname().replace(/[/:]/g, '_')
  /** Keywords that found no free letter (more than 26 in the folder). */
  readonly dropped = new Set<string>()

  constructor(dir: string) {
    this.dir = dir
  }

  async open(): Promise<void> {
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(this.dir, sub), { recursive: true })
  }

  /** Writes one message: tmp/ first, then renamed into cur/, as the Maildir protocol requires. */
  async write(raw: Uint8Array, keywords: readonly string[], receivedAt: number): Promise<string> {
    for (const k of keywords) {
      if (k.startsWith('$') && ['$seen', '$answered', '$flagged', '$deleted', '$draft', '$forwarded'].includes(k)) continue
      if (this.#letters.has(k)) continue
      if (this.#letters.size >= MAILDIR_MAX_KEYWORDS) this.dropped.add(k)
      else this.#letters.set(k, String.fromCharCode(0x61 + this.#letters.size))
    }
    const seconds = Math.floor(receivedAt / 1000)
    const unique = `${seconds}.M${receivedAt % 1000}P${process.pid}Q${++this.#counter}.${this.#host},S=${raw.byteLength}`
    const name = unique + maildirInfo(keywords, this.#letters)
    const tmp = join(this.dir, 'tmp', unique)
    await writeFile(tmp, raw)
    await utimes(tmp, seconds, seconds)
    await rename(tmp, join(this.dir, 'cur', name))
    return name
  }

  /** Writes `dovecot-keywords` so the letters in the names mean something. */
  async close(): Promise<void> {
    if (this.#letters.size > 0) await writeFile(join(this.dir, 'dovecot-keywords'), keywordsFile([...this.#letters.keys()]))
  }
}

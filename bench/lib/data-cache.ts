/**
 * Populated mailboxes kept across runs under bench/.cache/ (gitignored): a ready Tidings data dir
 * (users made, messages stored) or a Maildir tree, built once and then copied (Tidings: the
 * database is written by the server, so copied; Maildir: message files are never rewritten by
 * Dovecot, so hard-linked). Building the 100,000-message mailbox costs minutes; copying it seconds.
 *
 * An entry's name carries a hash of everything that decides its contents: the message generator
 * and fast path (bench/lib/*.ts that build messages), the caller's description (counts, users)
 * and, for Tidings, the schema (every file of src/db/migrations/) — a new migration means a new
 * entry, never an old database opened by new code. Entries are written to a temp name and renamed,
 * so an interrupted build leaves nothing that looks ready. `BENCH_FRESH=1` (or `--fresh`) ignores
 * and replaces existing entries.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')
export const CACHE_DIR = join(ROOT, 'bench', '.cache')
/** Files whose content decides what a generated mailbox holds. */
const GENERATOR_FILES = [
  'bench/lib/message.ts', 'bench/lib/big-mailbox.ts', 'bench/lib/populate.ts', 'bench/lib/tidings-fast-path.ts', 'bench/lib/data-cache.ts',
  // Their message generators: the IMAP mix's and POP3's mailboxes.
  'bench/scenarios/imap.ts', 'bench/scenarios/pop3.ts',
]
const MIGRATIONS_DIR = 'src/db/migrations'
/** Bumped by hand when an entry's layout changes in a way the hashed files don't show. */
const CACHE_FORMAT = 1

export type CacheKind = 'tidings' | 'maildir'

/**
 * The directory an entry lives in (it may not exist yet): `name` shows in it, `details` (users,
 * counts) only in its hash.
 */
export function cacheEntry(kind: CacheKind, name: string, details = ''): string {
  const hash = createHash('sha256')
  hash.update(`format ${CACHE_FORMAT}\n${kind}\n${name}\n${details}\n`)
  for (const file of GENERATOR_FILES) hash.update(`${file}\n`).update(readFileSync(join(ROOT, file)))
  if (kind === 'tidings') {
    const dir = join(ROOT, MIGRATIONS_DIR)
    for (const file of readdirSync(dir).sort()) hash.update(`${file}\n`).update(readFileSync(join(dir, file)))
  }
  const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)
  return join(CACHE_DIR, `${kind}-${slug}-${hash.digest('hex').slice(0, 16)}`)
}

export function fresh(): boolean {
  return process.env.BENCH_FRESH === '1'
}

/** True when `entry` was completed by an earlier run (and this run does not ask for fresh ones). */
export function cached(entry: string): boolean {
  return !fresh() && existsSync(entry)
}

/**
 * Saves `from` as `entry`: copied to a temp name beside it, then renamed into place. `link` uses
 * hard links (files that are never modified in place); otherwise a copy (reflink where the file
 * system has it).
 */
export function saveEntry(from: string, entry: string, options: { link?: boolean } = {}): void {
  mkdirSync(CACHE_DIR, { recursive: true })
  const temp = `${entry}.partial-${process.pid}`
  rmSync(temp, { recursive: true, force: true })
  copyTree(from, temp, options.link ?? false)
  rmSync(entry, { recursive: true, force: true })
  renameSync(temp, entry)
}

/** Fills `to` from a saved entry; with `merge`, files already in `to` stay, otherwise they go first. */
export function restoreEntry(entry: string, to: string, options: { link?: boolean; merge?: boolean } = {}): void {
  mkdirSync(to, { recursive: true })
  if (!options.merge) for (const name of readdirSync(to)) rmSync(join(to, name), { recursive: true, force: true })
  copyTree(entry, to, options.link ?? false)
}

/** Removes entries of one kind and description prefix other than `keep` (older generators/schemas). */
export function pruneEntries(keep: string): void {
  const prefix = keep.slice(0, keep.lastIndexOf('-') + 1)
  if (!existsSync(CACHE_DIR)) return
  for (const name of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, name)
    if (path !== keep && path.startsWith(prefix)) rmSync(path, { recursive: true, force: true })
  }
}

/** `cp` does this fastest (one process, no per-file JS); `-a` keeps modes and owners. */
function copyTree(from: string, to: string, link: boolean): void {
  mkdirSync(to, { recursive: true })
  const result = spawnSync('cp', [link ? '-al' : '-a', '--reflink=auto', `${from}/.`, to].filter((a) => !(link && a.startsWith('--reflink'))), { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`cp ${from} → ${to} failed: ${(result.stderr || result.error?.message || '').trim()}`)
}

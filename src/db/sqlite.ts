import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { mkdirSync, open, fdatasync, fstat, stat, close } from 'node:fs'
import { promisify } from 'node:util'
import { dirname } from 'node:path'
import type { Engine, Row, Sql, SqlValue, TextDocument, TextField, TextIndex, Tx } from './engine.ts'
import { sql } from './engine.ts'
import { MIGRATIONS } from './migrations/index.ts'
import { headerContains } from './header-match.ts'

const fsOpen = (path: string) => promisify(open)(path, 'r')
const fsFdatasync = promisify(fdatasync)
const fsFstat = promisify(fstat)
const fsStat = promisify(stat)
const fsClose = promisify(close)

/**
 * Prepared statements are cached per SQL text; bounded so ad-hoc queries can't grow it forever.
 * Batch inserts make one text per batch size (up to 64 rows, emails-insert-batch.ts) for each of
 * about ten statements, so the bound leaves room for those and the rest.
 */
const MAX_CACHED_STATEMENTS = 2000

export class DatabaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DatabaseError'
  }
}

interface PendingWrite {
  work: (tx: Tx) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * node:sqlite in WAL mode with two connections: one writer (all writes, batched into group
 * commits) and one reader (sees only committed data, so a read never observes a half-done batch).
 */
export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const
  readonly text: TextIndex = new Fts5Index()
  readonly path: string
  #writer: DatabaseSync
  #reader: DatabaseSync
  #writerCache = new Map<string, StatementSync>()
  #readerCache = new Map<string, StatementSync>()
  /** Transactions committed so far: group commit means far fewer than writes (tests, metrics). */
  commits = 0
  #queue: PendingWrite[] = []
  #flushing = false
  #scheduled = false
  #closed = false
  readonly #durable: boolean
  #walFd: number | null = null
  #syncing = false
  #syncWaiters: Array<(error: unknown) => void> = []
  #savepoint: StatementSync
  #release: StatementSync
  #rollbackTo: StatementSync

  constructor(path: string, options: { durable?: boolean } = {}) {
    this.path = path
    // ':memory:' has no WAL to sync and nothing to survive a crash.
    this.#durable = (options.durable ?? true) && path !== ':memory:'
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    try {
      this.#writer = new DatabaseSync(path)
      configure(this.#writer, options.durable ?? true)
      // Touch the schema so a file that is not a database fails here, with a clear message.
      this.#writer.prepare('SELECT count(*) FROM sqlite_master').get()
      this.#reader = path === ':memory:' ? this.#writer : new DatabaseSync(path)
      if (this.#reader !== this.#writer) configure(this.#reader, options.durable ?? true)
      this.#savepoint = this.#writer.prepare('SAVEPOINT job')
      this.#release = this.#writer.prepare('RELEASE job')
      this.#rollbackTo = this.#writer.prepare('ROLLBACK TO job')
    } catch (error) {
      throw new DatabaseError(`Cannot open database ${path}: ${(error as Error).message}`, { cause: error })
    }
  }

  headerContains(column: string, name: string, value: string): Sql {
    return sql`tidings_header_contains(${sql.raw(column)}, ${name}, ${value}) = 1`
  }

  async all<R = Row>(query: Sql): Promise<R[]> {
    return this.#stmt(this.#reader, this.#readerCache, query).all(...query.values) as R[]
  }

  async one<R = Row>(query: Sql): Promise<R | undefined> {
    return this.#stmt(this.#reader, this.#readerCache, query).get(...query.values) as R | undefined
  }

  write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new DatabaseError('Database is closed'))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject })
      if (!this.#flushing && !this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => {
          this.#scheduled = false
          void this.#flush()
        })
      }
    })
  }

  /**
   * Group commit. Every write queued since the last batch runs in one transaction, each in its own
   * savepoint so that one failure rolls back only itself. COMMIT appends to the WAL without
   * syncing (synchronous = NORMAL); durability comes from an fdatasync of the WAL file on the
   * libuv pool, so the event loop never blocks on the disk, the next batch commits while the
   * previous one syncs, and one sync covers every batch committed before it started.
   */
  async #flush(): Promise<void> {
    if (this.#flushing) return
    this.#flushing = true
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#queue.length)
        const tx = this.#tx()
        const outcomes: Array<{ ok: boolean; value: unknown }> = []
        try {
          this.#writer.exec('BEGIN IMMEDIATE')
        } catch (error) {
          for (const job of batch) job.reject(new DatabaseError('Cannot begin transaction', { cause: error }))
          continue
        }
        for (const job of batch) {
          this.#savepoint.run()
          try {
            const value = await job.work(tx)
            this.#release.run()
            outcomes.push({ ok: true, value })
          } catch (error) {
            this.#rollbackTo.run()
            this.#release.run()
            outcomes.push({ ok: false, value: error })
          }
        }
        try {
          this.#writer.exec('COMMIT')
          this.commits++
        } catch (error) {
          try { this.#writer.exec('ROLLBACK') } catch { /* already rolled back */ }
          for (const job of batch) job.reject(new DatabaseError('Commit failed', { cause: error }))
          continue
        }
        const settle = (error: unknown) => {
          if (error) {
            for (const job of batch) job.reject(new DatabaseError('Cannot sync the write-ahead log', { cause: error }))
            return
          }
          batch.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)))
        }
        if (this.#durable && outcomes.some((o) => o.ok)) this.#afterSync(settle)
        else settle(null)
      }
    } finally {
      this.#flushing = false
    }
  }

  /** Calls `done` once an fdatasync that started after this call has completed. */
  #afterSync(done: (error: unknown) => void): void {
    this.#syncWaiters.push(done)
    if (!this.#syncing) void this.#syncLoop()
  }

  async #syncLoop(): Promise<void> {
    this.#syncing = true
    try {
      while (this.#syncWaiters.length > 0) {
        // Waiters that arrive during this sync wait for the next one: their commit may have
        // been written after this sync began.
        const waiters = this.#syncWaiters.splice(0, this.#syncWaiters.length)
        let failure: unknown = null
        try {
          await this.#syncWal()
        } catch (error) {
          failure = error
        }
        for (const waiter of waiters) waiter(failure)
      }
    } finally {
      this.#syncing = false
    }
  }

  async #syncWal(): Promise<void> {
    const walPath = this.path + '-wal'
    if (this.#walFd === null) this.#walFd = await fsOpen(walPath)
    else {
      // SQLite may delete and recreate the WAL when every connection to it closes (another
      // process, the CLI); sync the file that is there now.
      const [held, current] = await Promise.all([fsFstat(this.#walFd), fsStat(walPath).catch(() => null)])
      if (current && current.ino !== held.ino) {
        await fsClose(this.#walFd).catch(() => {})
        this.#walFd = await fsOpen(walPath)
      }
    }
    await fsFdatasync(this.#walFd)
  }

  #tx(): Tx {
    const db = this.#writer
    const cache = this.#writerCache
    return {
      all: async <R>(query: Sql) => this.#stmt(db, cache, query).all(...query.values) as R[],
      one: async <R>(query: Sql) => this.#stmt(db, cache, query).get(...query.values) as R | undefined,
      run: async (query: Sql) => {
        const result = this.#stmt(db, cache, query).run(...query.values)
        return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) }
      },
    }
  }

  #stmt(db: DatabaseSync, cache: Map<string, StatementSync>, query: Sql): StatementSync {
    const text = query.strings.join('?')
    let stmt = cache.get(text)
    if (!stmt) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear()
      stmt = db.prepare(text)
      cache.set(text, stmt)
    }
    return stmt
  }

  async schemaVersion(): Promise<number> {
    const table = this.#writer.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()
    if (!table) return 0
    const row = this.#writer.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }
    return row.v ?? 0
  }

  async migrate(options: { upTo?: number } = {}): Promise<{ from: number; to: number }> {
    const from = await this.schemaVersion()
    const known = MIGRATIONS[MIGRATIONS.length - 1].version
    if (from > known) {
      throw new DatabaseError(
        `Database schema version ${from} is newer than this Tidings knows (${known}); upgrade Tidings, the data was not touched`,
      )
    }
    const target = options.upTo ?? known
    for (const migration of MIGRATIONS) {
      if (migration.version <= from || migration.version > target) continue
      this.#writer.exec('BEGIN IMMEDIATE')
      try {
        this.#writer.exec(migration.sqlite)
        this.#writer.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
        this.#writer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now())
        this.#writer.exec('COMMIT')
      } catch (error) {
        this.#writer.exec('ROLLBACK')
        throw new DatabaseError(`Migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error })
      }
    }
    this.#writerCache.clear()
    this.#readerCache.clear()
    return { from, to: Math.max(from, Math.min(target, known)) }
  }

  /** Online, consistent copy of the database (SQLite backup API). */
  async backupTo(path: string): Promise<void> {
    const { backup } = await import('node:sqlite')
    await backup(this.#reader, path)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    while (this.#flushing || this.#queue.length > 0 || this.#syncing) await new Promise((r) => setTimeout(r, 5))
    this.#closed = true
    if (this.#walFd !== null) await fsClose(this.#walFd).catch(() => {})
    try { this.#writer.exec('PRAGMA wal_checkpoint(TRUNCATE)') } catch { /* best effort */ }
    if (this.#reader !== this.#writer) this.#reader.close()
    this.#writer.close()
  }
}

function configure(db: DatabaseSync, durable: boolean): void {
  db.exec('PRAGMA journal_mode = WAL')
  // NORMAL: COMMIT does not sync; the engine fdatasyncs the WAL off the event loop before a
  // write resolves (see #flush), and checkpoints still sync. OFF: nothing is synced (tests, bulk loads).
  db.exec(`PRAGMA synchronous = ${durable ? 'NORMAL' : 'OFF'}`)
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 10000')
  db.exec('PRAGMA cache_size = -65536')
  db.function('tidings_header_contains', { deterministic: true }, (header, name, value) =>
    headerContains(header as Uint8Array | string | null, String(name), String(value)) ? 1 : 0)
}

/** FTS5, contentless with delete support: the text lives in the blobs, only the index is here. */
class Fts5Index implements TextIndex {
  async put(tx: Tx, id: number, doc: TextDocument): Promise<void> {
    await tx.run(sql`INSERT OR REPLACE INTO email_text (rowid, subject, addresses, body, attachments)
      VALUES (${id}, ${doc.subject}, ${doc.addresses}, ${doc.body}, ${doc.attachments})`)
  }

  async remove(tx: Tx, id: number): Promise<void> {
    await tx.run(sql`DELETE FROM email_text WHERE rowid = ${id}`)
  }

  matching(field: TextField, query: string): Sql {
    const expr = ftsExpression(query)
    const column = field === 'any' ? '' : `{${field}} : `
    return sql`SELECT rowid AS id FROM email_text WHERE email_text MATCH ${column + expr}`
  }
}

/** Every word becomes a quoted prefix-free phrase term, so user text can't inject FTS syntax. */
export function ftsExpression(query: string): string {
  const words = query.normalize('NFKC').split(/[^\p{L}\p{N}_]+/u).filter(Boolean)
  if (words.length === 0) return '""'
  return '(' + words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ') + ')'
}

export type { SqlValue }

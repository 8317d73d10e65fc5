import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Config } from './config/load.ts'
import { SqliteEngine } from './db/sqlite.ts'
import type { Engine } from './db/engine.ts'
import { FsBlobStore } from './store/blobs/fs.ts'
import { createStore } from './store/open.ts'
import type { Store, StoreEvent } from './store/store.ts'
import { LocalBus } from './cluster/bus-local.ts'
import { SqlDirectory } from './directory/sql-directory.ts'
import { DirectoryAdmin } from './directory/admin.ts'

/** A problem with the data directory or database that stops start-up; its message is one line. */
export class DataDirError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DataDirError'
  }
}

export interface OpenData {
  dataDir: string
  engine: SqliteEngine
  blobs: FsBlobStore
  store: Store
  directory: SqlDirectory
  admin: DirectoryAdmin
  close(): Promise<void>
}

/**
 * Opens what lives in the data directory: the database (migrated), the blobs, the store and the
 * directory. Shared by `serve` and the admin CLI (both may run at once: SQLite WAL, one writer at
 * a time, busy timeout). Fails with one line and leaves nothing half-written.
 */
export async function openData(config: Config, options: { mustExist?: boolean } = {}): Promise<OpenData> {
  const dataDir = resolve(config.string('data_dir'))
  const durable = config.boolean('durable')
  const dbPath = join(dataDir, 'tidings.db')
  // Commands that only look must not leave an empty data directory behind a mistyped --data.
  if (options.mustExist && !existsSync(dbPath)) {
    throw new DataDirError(`No Tidings data in ${dataDir} (no tidings.db); check --data / TIDINGS_DATA_DIR, or add a domain first`)
  }
  ensureWritableDir(dataDir)
  let engine: SqliteEngine
  try {
    engine = new SqliteEngine(dbPath, { durable })
  } catch (error) {
    throw new DataDirError(`${(error as Error).message.replace(/\s+/g, ' ')} (is ${dbPath} a Tidings database?)`, { cause: error })
  }
  try {
    await engine.migrate()
  } catch (error) {
    await engine.close().catch(() => {})
    throw new DataDirError((error as Error).message.replace(/\s+/g, ' '), { cause: error })
  }
  const blobs = new FsBlobStore(join(dataDir, 'blobs'), { durable })
  const store = createStore({
    engine: engine as Engine,
    blobs,
    bus: new LocalBus<StoreEvent>(),
    retention: { retentionMs: config.number('store.deleted_item_retention'), quotaBytes: config.number('store.recoverable_quota') },
  })
  return {
    dataDir,
    engine,
    blobs,
    store,
    directory: new SqlDirectory(engine),
    admin: new DirectoryAdmin(engine),
    async close() {
      await store.close()
      await engine.close()
    },
  }
}

function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'not a directory' : code ?? String(error)
    throw new DataDirError(`Cannot use data directory ${dir}: ${reason}; set TIDINGS_DATA_DIR (or data_dir in the config file) to a writable directory`, { cause: error })
  }
}

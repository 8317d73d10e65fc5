import type { Bus } from '../cluster/bus.ts'
import { LocalBus } from '../cluster/bus-local.ts'
import type { Engine } from '../db/engine.ts'
import { AccountsImpl } from './accounts.ts'
import type { BlobStore } from './blobs/blob-store.ts'
import { TieredBlobStore } from './blobs/tiered.ts'
import { ChangeLogImpl } from './changes.ts'
import type { StoreContext } from './context.ts'
import { EmailsImpl } from './emails.ts'
import { sweepUnreferenced } from './emails-remove.ts'
import { FoldersImpl } from './folders.ts'
import { ItemsImpl } from './items.ts'
import { TextIndexer } from './search-indexer.ts'
import type { Items, Recoverable, Store, StoreEvent } from './store.ts'
import { RecoverableImpl } from './recoverable.ts'
import { checkedPolicy, type RetentionPolicy } from './retention.ts'
import { purgeExpired } from './retention-sweep.ts'
import { verifyStore, type VerifyReport } from './verify.ts'

/** The store plus maintenance verbs the system attendant and the CLI use. */
export interface OpenedStore extends Store {
  readonly items: Items
  readonly recoverable: Recoverable
  /**
   * Deletes blobs nothing references: rows left at zero references (a crash between an expunge
   * and its sweep) and files no row knows (a crash between a put and its commit). Safe while
   * deliveries run, here or in another process. Returns how many blobs went.
   */
  sweep(): Promise<number>
}

export interface CreateStoreOptions {
  engine: Engine
  blobs: BlobStore
  bus?: Bus<StoreEvent>
  /**
   * Recovery at start-up (DESIGN: "half-written blobs are swept"): sweep in the background
   * right away. Default true; `verify` waits for it, `close` stops it.
   */
  sweepOnOpen?: boolean
  /**
   * Index queued full-text documents in the background (search-indexer.ts). Default true; false
   * (one-shot tools, tests) leaves them queued, and a search indexes them before it runs.
   */
  backgroundIndexing?: boolean
  /**
   * Deleted-item retention (Recoverable Items): how long destroyed emails stay recoverable and
   * how much of them an account keeps. Absent: nothing is retained. Expired ones are purged at
   * open (with the sweep) and by `recoverable.purge()`.
   */
  retention?: RetentionPolicy
}

/**
 * The Information Store over an engine and a blob store. The engine is opened and migrated by the
 * caller (main.ts); closing the store does not close them, their owner does.
 */
export function createStore(options: CreateStoreOptions): OpenedStore {
  // Small blobs in the database, the rest in `options.blobs` (blobs/tiered.ts).
  const blobs = new TieredBlobStore(options.engine, options.blobs)
  const ctx: StoreContext = {
    engine: options.engine,
    blobs,
    bus: options.bus ?? new LocalBus<StoreEvent>(),
    indexer: new TextIndexer(options.engine, blobs, { background: options.backgroundIndexing ?? true }),
    retention: options.retention && checkedPolicy(options.retention),
  }
  const stop = new AbortController()
  // Documents a crash left queued (migration 4) are indexed in the background.
  ctx.indexer.kick()
  // Started on the next turn, so that a caller that closes at once never begins it.
  const recovery = options.sweepOnOpen === false
    ? Promise.resolve()
    : new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (stop.signal.aborted ? 0 : purgeExpired(ctx, Date.now(), stop.signal)))
      .then(() => (stop.signal.aborted ? 0 : sweepUnreferenced(ctx, stop.signal)))
      .then(() => {}, () => {})
  return {
    accounts: new AccountsImpl(ctx),
    folders: new FoldersImpl(ctx),
    emails: new EmailsImpl(ctx),
    changes: new ChangeLogImpl(ctx.engine),
    items: new ItemsImpl(ctx),
    recoverable: new RecoverableImpl(ctx),
    bus: ctx.bus,
    verify: async (): Promise<VerifyReport> => {
      await recovery
      return verifyStore(ctx)
    },
    sweep: () => sweepUnreferenced(ctx),
    close: async () => {
      stop.abort()
      await Promise.all([recovery, ctx.indexer.close()])
    },
  }
}

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
import type { Items, Store, StoreEvent } from './store.ts'
import { verifyStore, type VerifyReport } from './verify.ts'

/** The store plus maintenance verbs the system attendant and the CLI use. */
export interface OpenedStore extends Store {
  readonly items: Items
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
}

/**
 * The Information Store over an engine and a blob store. The engine is opened and migrated by the
 * caller (main.ts); closing the store does not close them, their owner does.
 */
export function createStore(options: CreateStoreOptions): OpenedStore {
  const ctx: StoreContext = {
    engine: options.engine,
    // Small blobs in the database, the rest in `options.blobs` (blobs/tiered.ts).
    blobs: new TieredBlobStore(options.engine, options.blobs),
    bus: options.bus ?? new LocalBus<StoreEvent>(),
  }
  const stop = new AbortController()
  // Started on the next turn, so that a caller that closes at once never begins it.
  const recovery = options.sweepOnOpen === false
    ? Promise.resolve()
    : new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (stop.signal.aborted ? 0 : sweepUnreferenced(ctx, stop.signal)))
      .then(() => {}, () => {})
  return {
    accounts: new AccountsImpl(ctx),
    folders: new FoldersImpl(ctx),
    emails: new EmailsImpl(ctx),
    changes: new ChangeLogImpl(ctx.engine),
    items: new ItemsImpl(ctx),
    bus: ctx.bus,
    verify: async (): Promise<VerifyReport> => {
      await recovery
      return verifyStore(ctx)
    },
    sweep: () => sweepUnreferenced(ctx),
    close: async () => {
      stop.abort()
      await recovery
    },
  }
}

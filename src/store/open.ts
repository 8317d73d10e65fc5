import type { Bus } from '../cluster/bus.ts'
import { LocalBus } from '../cluster/bus-local.ts'
import type { Engine } from '../db/engine.ts'
import { AccountsImpl } from './accounts.ts'
import type { BlobStore } from './blobs/blob-store.ts'
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
   * and its sweep) and files with no row older than an hour (a crash between a put and its
   * commit). For the system attendant; returns how many blobs went.
   */
  sweep(options?: { now?: number }): Promise<number>
}

/**
 * The Information Store over an engine and a blob store. The engine is opened and migrated by the
 * caller (main.ts); closing the store does not close them, their owner does.
 */
export function createStore(options: { engine: Engine; blobs: BlobStore; bus?: Bus<StoreEvent> }): OpenedStore {
  const ctx: StoreContext = {
    engine: options.engine,
    blobs: options.blobs,
    bus: options.bus ?? new LocalBus<StoreEvent>(),
    blobDeletions: 0,
  }
  return {
    accounts: new AccountsImpl(ctx),
    folders: new FoldersImpl(ctx),
    emails: new EmailsImpl(ctx),
    changes: new ChangeLogImpl(ctx.engine),
    items: new ItemsImpl(ctx),
    bus: ctx.bus,
    verify: (): Promise<VerifyReport> => verifyStore(ctx),
    sweep: (options) => sweepUnreferenced(ctx, options?.now),
    close: async () => {},
  }
}

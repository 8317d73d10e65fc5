import type { Engine } from '../db/engine.ts'
import type { Bus } from '../cluster/bus.ts'
import type { TieredBlobStore } from './blobs/tiered.ts'
import type { StoreEvent } from './store.ts'
import type { TextIndexer } from './search-indexer.ts'
import type { RetentionPolicy } from './retention.ts'

/** What every part of the store shares: the engine, the blob bytes and the bus. */
export interface StoreContext {
  readonly engine: Engine
  /** Small blobs in the database, larger ones in files (blobs/tiered.ts). */
  readonly blobs: TieredBlobStore
  readonly bus: Bus<StoreEvent>
  /** Indexes queued full-text documents in the background; searches catch it up first. */
  readonly indexer: TextIndexer
  /** Deleted-item retention (Recoverable Items); absent: nothing is retained. */
  readonly retention?: RetentionPolicy
}

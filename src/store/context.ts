import type { Engine } from '../db/engine.ts'
import type { Bus } from '../cluster/bus.ts'
import type { BlobStore } from './blobs/blob-store.ts'
import type { StoreEvent } from './store.ts'

/** What every part of the store shares: the engine, the blob bytes and the bus. */
export interface StoreContext {
  readonly engine: Engine
  readonly blobs: BlobStore
  readonly bus: Bus<StoreEvent>
}

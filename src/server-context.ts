/**
 * What `main.ts` hands every listener and background task: the shared services, already open.
 * Nothing below opens a database or reads configuration by itself.
 */
import type { Logger } from 'pino'
import type { SecureContextOptions } from 'node:tls'
import type { Config } from './config/load.ts'
import type { Store } from './store/store.ts'
import type { Directory } from './directory/directory.ts'
import type { Metrics } from './observability/metrics.ts'
import type { Engine } from './db/engine.ts'
import type { BlobStore } from './store/blobs/blob-store.ts'

export interface TlsMaterial {
  /** The current certificate and key (swapped on SIGHUP; read it per connection). */
  current(): SecureContextOptions
  /**
   * Calls `listener` right after each successful reload, so a TLS server can call
   * `setSecureContext(current())` before the next handshake; returns the unsubscribe function.
   */
  onReload?(listener: () => void): () => void
}

export interface ServerContext {
  config: Config
  store: Store
  directory: Directory
  log: Logger
  tls: TlsMaterial
  metrics: Metrics
  /** The open engine, for services with their own persistence (the transport's queue). */
  engine?: Engine
  /** The store's blob store. */
  blobs?: BlobStore
}

/** A running listener or background service. */
export interface Service {
  readonly name: string
  /** The listener key it serves (`listen.imap`); when absent, `listen.<name>` is assumed. */
  readonly key?: string
  /** The bound address (port resolved when configured as 0). */
  readonly address?: { host: string; port: number }
  /** Stop accepting, finish in-flight work, close. */
  close(): Promise<void>
}

import type { Readable } from 'node:stream'

/**
 * Content-addressed bytes (SHA-256), stored once however many mailboxes hold them.
 * Reference counts live in the database (`blobs` table), not here: this is only bytes.
 */
export interface BlobStore {
  /** Stores bytes durably (fsynced before it resolves); returns the SHA-256 hex id. Idempotent. */
  put(bytes: Uint8Array): Promise<{ id: string; size: number }>
  /** The original bytes, whole or the range [start, end). */
  get(id: string, range?: { start: number; end: number }): Promise<Uint8Array>
  stream(id: string): Promise<Readable>
  has(id: string): Promise<boolean>
  delete(id: string): Promise<void>
  /** Every stored id (for verify and sweeps). */
  ids(): AsyncIterable<string>
}

/** Store error kinds (Dovecot's list), mapped once per protocol: imap/responses.ts, smtp/replies.ts … */
export const STORE_ERROR_KINDS = [
  'notFound', 'exists', 'noPermission', 'overQuota', 'tooBig',
  'limit', 'inUse', 'expunged', 'invalid', 'unavailable',
] as const
export type StoreErrorKind = (typeof STORE_ERROR_KINDS)[number]

export class StoreError extends Error {
  readonly kind: StoreErrorKind
  constructor(kind: StoreErrorKind, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
  }
}

/** SQLite's primary result codes for a full or failing disk: SQLITE_IOERR (10), SQLITE_FULL (13). */
const SQLITE_STORAGE_FAULTS: ReadonlySet<number> = new Set([10, 13])
/** How deep a chain of `cause`s is followed. */
const MAX_CAUSE_DEPTH = 5

/**
 * A write the database refused because the disk is full or failing becomes 'unavailable' (try
 * again later), not a bug: small blobs are written inside the transaction (blobs/tiered.ts), so
 * a full disk now shows here rather than as ENOSPC from a blob file. The cause is kept.
 */
export function storageFault(error: unknown): unknown {
  if (error instanceof StoreError) return error
  // The engine wraps SQLite's error (DatabaseError 'Commit failed', cause: the SQLite error).
  let current: unknown = error
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    const errcode = (current as Error & { errcode?: unknown }).errcode
    if (typeof errcode === 'number' && SQLITE_STORAGE_FAULTS.has(errcode & 0xff)) {
      return new StoreError('unavailable', 'The server is out of storage space; try again later', { cause: error })
    }
    current = current.cause
  }
  return error
}

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

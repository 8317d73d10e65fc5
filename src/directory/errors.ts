export const DIRECTORY_ERROR_KINDS = ['badCredentials', 'disabled', 'throttled', 'unavailable', 'invalid', 'exists', 'notFound'] as const
export type DirectoryErrorKind = (typeof DIRECTORY_ERROR_KINDS)[number]

export class DirectoryError extends Error {
  readonly kind: DirectoryErrorKind
  /** For `throttled`: how long the caller should wait before trying again. */
  readonly retryAfterMs: number
  constructor(kind: DirectoryErrorKind, message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options)
    this.name = 'DirectoryError'
    this.kind = kind
    this.retryAfterMs = options?.retryAfterMs ?? 0
  }
}

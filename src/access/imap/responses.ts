/**
 * Errors → IMAP responses, once for the whole protocol (STYLE.md "Errors"): store and directory
 * error kinds become `NO [CODE]` (RFC 5530 response codes), syntax errors `BAD`, and anything
 * else is a bug: logged with the session id, answered `NO [SERVERBUG]` without internals.
 */
import { StoreError, type StoreErrorKind } from '../../store/errors.ts'
import { DirectoryError, type DirectoryErrorKind } from '../../directory/errors.ts'
import { ImapSyntaxError } from './wire/syntax-error.ts'

/** A response a command chooses to end with: `NO [TRYCREATE] …`, `BAD …`. */
export class ImapError extends Error {
  readonly status: 'NO' | 'BAD'
  readonly code: string | null
  constructor(status: 'NO' | 'BAD', code: string | null, message: string) {
    super(message)
    this.name = 'ImapError'
    this.status = status
    this.code = code
  }
}

const STORE_CODES: Record<StoreErrorKind, string> = {
  notFound: 'NONEXISTENT',
  exists: 'ALREADYEXISTS',
  noPermission: 'NOPERM',
  overQuota: 'OVERQUOTA',
  tooBig: 'TOOBIG',
  limit: 'LIMIT',
  inUse: 'INUSE',
  expunged: 'EXPUNGEISSUED',
  invalid: 'CANNOT',
  unavailable: 'UNAVAILABLE',
}

const DIRECTORY_CODES: Record<DirectoryErrorKind, string> = {
  badCredentials: 'AUTHENTICATIONFAILED',
  disabled: 'AUTHENTICATIONFAILED',
  throttled: 'UNAVAILABLE',
  unavailable: 'UNAVAILABLE',
  invalid: 'CANNOT',
  exists: 'ALREADYEXISTS',
  notFound: 'NONEXISTENT',
}

export interface MappedResponse {
  status: 'NO' | 'BAD'
  text: string
  /** Unexpected: log it. */
  bug: boolean
}

export function mapError(error: unknown): MappedResponse {
  if (error instanceof ImapSyntaxError) return { status: 'BAD', text: error.message, bug: false }
  if (error instanceof ImapError) {
    return { status: error.status, text: (error.code ? `[${error.code}] ` : '') + error.message, bug: false }
  }
  if (error instanceof StoreError) return { status: 'NO', text: `[${STORE_CODES[error.kind]}] ${oneLine(error.message)}`, bug: false }
  if (error instanceof DirectoryError) {
    // Never say whether the user exists (RFC 9051 6.2.3 / RFC 5530 AUTHENTICATIONFAILED).
    const text = error.kind === 'badCredentials' || error.kind === 'disabled' ? 'Authentication failed' : oneLine(error.message)
    return { status: 'NO', text: `[${DIRECTORY_CODES[error.kind]}] ${text}`, bug: false }
  }
  // A full disk is an operational condition, not a bug (RFC 5530 UNAVAILABLE: try again later).
  if (systemCode(error, ['ENOSPC', 'EDQUOT'])) return { status: 'NO', text: '[UNAVAILABLE] The server is out of storage space; try again later', bug: false }
  return { status: 'NO', text: '[SERVERBUG] Internal error, the administrator has been told', bug: true }
}

/** Whether an error, or one of its causes, carries one of these system error codes. */
function systemCode(error: unknown, codes: readonly string[]): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code
    if (code && codes.includes(code)) return true
    current = current.cause
  }
  return false
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 300)
}

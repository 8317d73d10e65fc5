/**
 * Errors → POP3 responses, once for the protocol (STYLE.md "Errors"): `-ERR [CODE] text` with the
 * RFC 2449 §8 / RFC 3206 response codes (IN-USE, LOGIN-DELAY, SYS/TEMP, SYS/PERM, AUTH). Anything
 * unexpected is a bug: logged by the session, answered without internals.
 */
import { StoreError, type StoreErrorKind } from '../../store/errors.ts'
import { DirectoryError } from '../../directory/errors.ts'
import { Pop3SyntaxError } from './wire/parser.ts'

export const POP3_CODES = ['IN-USE', 'LOGIN-DELAY', 'SYS/TEMP', 'SYS/PERM', 'AUTH'] as const
export type Pop3Code = (typeof POP3_CODES)[number]

/** A `-ERR` a command chooses to end with. */
export class Pop3Error extends Error {
  readonly code: Pop3Code | null
  constructor(code: Pop3Code | null, message: string) {
    super(message)
    this.name = 'Pop3Error'
    this.code = code
  }
}

const STORE_CODES: Record<StoreErrorKind, Pop3Code | null> = {
  notFound: null,
  expunged: null,
  exists: null,
  noPermission: 'SYS/PERM',
  overQuota: 'SYS/PERM',
  tooBig: 'SYS/PERM',
  limit: 'SYS/TEMP',
  inUse: 'IN-USE',
  invalid: null,
  unavailable: 'SYS/TEMP',
}

export interface MappedError {
  text: string
  /** Counts towards the session's limit of bad commands. */
  bad: boolean
  /** Unexpected: log it. */
  bug: boolean
}

export function mapError(error: unknown): MappedError {
  if (error instanceof Pop3SyntaxError) return { text: error.message, bad: true, bug: false }
  if (error instanceof Pop3Error) return { text: withCode(error.code, error.message), bad: false, bug: false }
  if (error instanceof StoreError) return { text: withCode(STORE_CODES[error.kind], oneLine(error.message)), bad: false, bug: false }
  if (error instanceof DirectoryError) {
    // Never say whether the user exists or is disabled (RFC 3206 §4: AUTH = credentials problem).
    if (error.kind === 'badCredentials' || error.kind === 'disabled') return { text: '[AUTH] Authentication failed', bad: false, bug: false }
    return { text: '[SYS/TEMP] Authentication temporarily unavailable, try again later', bad: false, bug: false }
  }
  return { text: '[SYS/TEMP] Internal error, the administrator has been told', bad: false, bug: true }
}

function withCode(code: Pop3Code | null, text: string): string {
  return code ? `[${code}] ${text}` : text
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 300)
}

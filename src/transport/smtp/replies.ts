/**
 * Every SMTP reply the transport makes up itself, and the one mapping of store and directory
 * error kinds to SMTP replies (STYLE.md: errors are kinds, mapped once per protocol).
 * Texts carry their RFC 3463 enhanced status code; `smtp-server-patches.ts` makes smtp-server keep it.
 */
import { StoreError, type StoreErrorKind } from '../../store/errors.ts'
import { DirectoryError, type DirectoryErrorKind } from '../../directory/errors.ts'

export interface SmtpReply {
  code: number
  /** Starts with the enhanced status code, e.g. "5.7.1 Relay access denied". */
  text: string
}

/** An Error smtp-server turns into the reply (`responseCode` + message). */
export class SmtpReplyError extends Error {
  readonly responseCode: number
  constructor(reply: SmtpReply) {
    super(reply.text)
    this.name = 'SmtpReplyError'
    this.responseCode = reply.code
  }
}

export function reject(code: number, text: string): SmtpReplyError {
  return new SmtpReplyError({ code, text })
}

export const REPLIES = {
  unknownUser: { code: 550, text: '5.1.1 No such user here' },
  relayDenied: { code: 550, text: '5.7.1 Relaying denied: authenticate on the submission port to send to other domains' },
  relayTrick: { code: 550, text: '5.7.1 Relaying denied: source routes, % and ! paths, quoted @ and address literals are refused' },
  spoofedLocalSender: { code: 550, text: '5.7.1 Sender in a local domain must authenticate (use the submission port)' },
  notYourAddress: { code: 550, text: '5.7.1 Sender address is not one of your addresses' },
  internalOnly: { code: 550, text: '5.7.1 This group accepts mail only from inside the organization' },
  disabledMailbox: { code: 550, text: '5.2.1 Mailbox disabled' },
  badAddress: { code: 501, text: '5.1.3 Bad address syntax' },
  tooManyRecipients: { code: 452, text: '4.5.3 Too many recipients' },
  tooBig: { code: 552, text: '5.3.4 Message exceeds the maximum size' },
  headerTooBig: { code: 552, text: '5.3.4 Header section too large' },
  /** RFC 3463 4.3.1: our disk (or quota on it) is full; temporary, nothing was kept. */
  storageFull: { code: 452, text: '4.3.1 Mail system full, try again later' },
  mailboxFull: { code: 452, text: '4.2.2 Mailbox full, try again later' },
  tooManyHops: { code: 554, text: '5.4.6 Too many hops: this message is looping (RFC 5321 6.3)' },
  nulBytes: { code: 554, text: '5.6.0 Message contains NUL bytes (RFC 5321 4.5.2)' },
  tooManyConnections: { code: 421, text: '4.7.0 Too many connections from your address, try again later' },
  tempFailure: { code: 451, text: '4.3.0 Temporary failure, please try again later' },
  noRecipients: { code: 554, text: '5.5.1 No valid recipients' },
  encryptionRequired: { code: 538, text: '5.7.11 Encryption required for requested authentication mechanism' },
  authFailed: { code: 535, text: '5.7.8 Authentication credentials invalid' },
  authThrottled: { code: 454, text: '4.7.0 Too many failed authentication attempts, try again later' },
  authDisabled: { code: 535, text: '5.7.8 Account disabled' },
} as const satisfies Record<string, SmtpReply>

const STORE_REPLIES: Record<StoreErrorKind, SmtpReply> = {
  notFound: { code: 550, text: '5.1.1 Mailbox unavailable' },
  exists: REPLIES.tempFailure,
  noPermission: { code: 550, text: '5.7.1 Delivery not authorized' },
  overQuota: REPLIES.mailboxFull,
  tooBig: REPLIES.tooBig,
  limit: { code: 452, text: '4.5.3 Limit reached, try again later' },
  inUse: REPLIES.tempFailure,
  expunged: REPLIES.tempFailure,
  invalid: { code: 554, text: '5.6.0 Message refused by the store' },
  unavailable: REPLIES.tempFailure,
}

const DIRECTORY_REPLIES: Record<DirectoryErrorKind, SmtpReply> = {
  badCredentials: REPLIES.authFailed,
  disabled: REPLIES.authDisabled,
  throttled: REPLIES.authThrottled,
  unavailable: REPLIES.tempFailure,
  invalid: REPLIES.badAddress,
  exists: REPLIES.tempFailure,
  notFound: REPLIES.unknownUser,
}

/** Errno codes of a storage fault: the disk, or the user's quota on it, is full, or it failed. */
const STORAGE_FAULT_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO'])
/** SQLite's result codes for the same (SQLITE_IOERR, SQLITE_FULL), primary code in the low byte. */
const SQLITE_STORAGE_FAULTS: ReadonlySet<number> = new Set([10, 13])
/** How deep a chain of `cause`s is followed (a store error wrapping an engine error wrapping errno). */
const MAX_CAUSE_DEPTH = 5

/** Is this (or what caused it) a full or failing disk, rather than a bug or a refusal? */
export function isStorageFault(error: unknown): boolean {
  let e: unknown = error
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && e instanceof Error; depth++) {
    const { code, errcode } = e as Error & { code?: unknown; errcode?: unknown }
    if (typeof code === 'string' && STORAGE_FAULT_CODES.has(code)) return true
    if (typeof errcode === 'number' && SQLITE_STORAGE_FAULTS.has(errcode & 0xff)) return true
    e = e.cause
  }
  return false
}

/** The reply for any error; unknown ones are bugs and get the generic 451 (never internals). */
export function replyFor(error: unknown): SmtpReply {
  if (error instanceof SmtpReplyError) return { code: error.responseCode, text: error.message }
  if (isStorageFault(error)) return REPLIES.storageFull
  if (error instanceof StoreError) return STORE_REPLIES[error.kind] ?? REPLIES.tempFailure
  if (error instanceof DirectoryError) return DIRECTORY_REPLIES[error.kind] ?? REPLIES.tempFailure
  return REPLIES.tempFailure
}

/** Was this an error we expected (a kind), rather than a bug to log? */
export function isExpected(error: unknown): boolean {
  return error instanceof SmtpReplyError || error instanceof StoreError || error instanceof DirectoryError || isStorageFault(error)
}

export function toSmtpError(error: unknown): SmtpReplyError {
  return error instanceof SmtpReplyError ? error : new SmtpReplyError(replyFor(error))
}

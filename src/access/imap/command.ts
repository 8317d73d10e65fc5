/**
 * The shape of one IMAP command module (STYLE.md "One file per command"): its facts live in its
 * file; the session dispatches generically and never lists verbs (commands/index.ts does, once).
 */
import type { ImapArgs } from './wire/parser.ts'
import type { ImapSession } from './session.ts'

export const IMAP_STATES = ['notAuthenticated', 'authenticated', 'selected'] as const
export type ImapState = (typeof IMAP_STATES)[number]

export interface ImapCommand {
  /** 'FETCH'; the UID form is `call.uid`, same module. */
  readonly name: string
  readonly states: readonly ImapState[]
  /**
   * 'uses': the command addresses messages by sequence number, so no EXPUNGE may be sent while
   * it runs or right after it (RFC 9051 §7.4.1, except its UID form).
   */
  readonly seqs?: 'uses'
  /** May be given with the UID prefix. */
  readonly uid?: boolean
  run(session: ImapSession, args: ImapArgs, call: CommandCall): Promise<void>
}

export interface CommandCall {
  readonly tag: string
  /** Upper-case command name. */
  readonly name: string
  /** Given as `UID <name>`. */
  readonly uid: boolean
}

export const AUTHENTICATED: readonly ImapState[] = ['authenticated', 'selected']
export const SELECTED: readonly ImapState[] = ['selected']
export const ANY_STATE: readonly ImapState[] = IMAP_STATES

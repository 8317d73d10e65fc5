/**
 * The shape of one POP3 command module (STYLE.md "One file per command"): its name, the states it
 * may run in (RFC 1939 §3), and its handler. commands/index.ts is the only list of verbs.
 */
import type { Pop3Line } from './wire/parser.ts'
import type { Pop3Session } from './session.ts'

export const POP3_STATES = ['authorization', 'transaction'] as const
export type Pop3State = (typeof POP3_STATES)[number]

export interface Pop3Command {
  readonly name: string
  readonly states: readonly Pop3State[]
  run(session: Pop3Session, line: Pop3Line): Promise<void>
}

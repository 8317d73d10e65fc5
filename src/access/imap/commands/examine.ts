import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { open } from './select.ts'

/** RFC 9051 §6.3.3: SELECT, read-only. */
export const examine: ImapCommand = {
  name: 'EXAMINE',
  states: AUTHENTICATED,
  run: (session, args) => open(session, args, true),
}

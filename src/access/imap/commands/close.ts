import { SELECTED, type ImapCommand } from '../command.ts'
import { expungeDeleted } from './expunge.ts'

/** RFC 9051 §6.4.1: silent expunge (unless read-only), then back to authenticated. */
export const close: ImapCommand = {
  name: 'CLOSE',
  states: SELECTED,
  async run(session, args) {
    args.end()
    if (!session.selected.readOnly) await expungeDeleted(session, null)
    session.unselect()
    session.tagged('OK', 'CLOSE completed')
  },
}

import { SELECTED, type ImapCommand } from '../command.ts'

/** RFC 3501 §6.4.1 (gone in RFC 9051, kept for IMAP4rev1 clients): same as NOOP here. */
export const check: ImapCommand = {
  name: 'CHECK',
  states: SELECTED,
  async run(session, args) {
    args.end()
    session.selected.dirty = true
    session.tagged('OK', 'CHECK completed')
  },
}

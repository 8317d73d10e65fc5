import { SELECTED, type ImapCommand } from '../command.ts'

/** RFC 3691 / RFC 9051 §6.4.2: leave without expunging. */
export const unselect: ImapCommand = {
  name: 'UNSELECT',
  states: SELECTED,
  async run(session, args) {
    args.end()
    session.unselect()
    session.tagged('OK', 'UNSELECT completed')
  },
}

import { ANY_STATE, type ImapCommand } from '../command.ts'

/** RFC 9051 §6.1.2: a chance to report pending changes (the dispatcher syncs before the tagged OK). */
export const noop: ImapCommand = {
  name: 'NOOP',
  states: ANY_STATE,
  async run(session, args) {
    args.end()
    if (session.state.kind === 'selected') session.selected.dirty = true
    session.tagged('OK', 'NOOP completed')
  },
}

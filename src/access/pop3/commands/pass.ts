import type { Pop3Command } from '../command.ts'
import { Pop3Error } from '../responses.ts'

/** RFC 1939 §7: PASS, only right after a USER; the rest of the line is the password. */
export const pass: Pop3Command = {
  name: 'PASS',
  states: ['authorization'],
  async run(session, line) {
    const state = session.state
    const name = state.kind === 'authorization' ? state.user : null
    if (!name) throw new Pop3Error(null, 'USER first')
    session.state = { kind: 'authorization', user: null }
    await session.signIn(name, line.rest)
  },
}

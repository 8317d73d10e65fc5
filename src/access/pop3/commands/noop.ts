import type { Pop3Command } from '../command.ts'

/** RFC 1939 §5: does nothing (keeps the connection from the autologout timer). */
export const noop: Pop3Command = {
  name: 'NOOP',
  states: ['transaction'],
  async run(session) {
    await session.ok('')
  },
}

import type { Pop3Command } from '../command.ts'

/** RFC 1939 §4/§6: QUIT; from TRANSACTION it enters UPDATE and removes deleted messages. */
export const quit: Pop3Command = {
  name: 'QUIT',
  states: ['authorization', 'transaction'],
  async run(session) {
    await session.quit()
  },
}

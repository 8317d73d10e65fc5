import type { Pop3Command } from '../command.ts'
import { Pop3Error } from '../responses.ts'

/** RFC 2595 §4: upgrade to TLS; only before login and only once. */
export const stls: Pop3Command = {
  name: 'STLS',
  states: ['authorization'],
  async run(session, line) {
    if (line.words.length) throw new Pop3Error(null, 'STLS takes no arguments')
    if (session.connection.secure) throw new Pop3Error(null, 'Already using TLS')
    await session.startTls()
  },
}

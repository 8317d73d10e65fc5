import type { Pop3Command } from '../command.ts'
import { Pop3Error } from '../responses.ts'
import { Pop3SyntaxError } from '../wire/parser.ts'

/** RFC 1939 §7: USER name, remembered for the PASS that follows. */
export const user: Pop3Command = {
  name: 'USER',
  states: ['authorization'],
  async run(session, line) {
    if (!session.plaintextAllowed) throw new Pop3Error('AUTH', 'Plaintext authentication is not allowed without TLS: use STLS first')
    const name = line.rest.trim()
    if (!name) throw new Pop3SyntaxError('USER needs a name')
    session.state = { kind: 'authorization', user: name }
    // The same answer whoever the user is: no enumeration of mailboxes (RFC 1939 §13).
    await session.ok('Send your password')
  },
}

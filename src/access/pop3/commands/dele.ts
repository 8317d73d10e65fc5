import type { Pop3Command } from '../command.ts'
import { messageNumber } from '../wire/parser.ts'

/** RFC 1939 §5: DELE msg only marks it; the store removes it in UPDATE, after QUIT. */
export const dele: Pop3Command = {
  name: 'DELE',
  states: ['transaction'],
  async run(session, line) {
    const n = messageNumber(line.words[0])
    session.drop.get(n).deleted = true
    await session.ok(`Message ${n} deleted`)
  },
}

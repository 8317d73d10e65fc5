import type { Pop3Command } from '../command.ts'
import { lineCount, messageNumber } from '../wire/parser.ts'

/** RFC 1939 §7: TOP msg n, the header, the blank line and the first n body lines. */
export const top: Pop3Command = {
  name: 'TOP',
  states: ['transaction'],
  async run(session, line) {
    const message = session.drop.get(messageNumber(line.words[0]))
    await session.sendMessage(message, lineCount(line.words[1]))
  },
}

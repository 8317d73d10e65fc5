import type { Pop3Command } from '../command.ts'
import { messageNumber } from '../wire/parser.ts'

/** RFC 1939 §5: RETR msg, the whole message, streamed and dot-stuffed. */
export const retr: Pop3Command = {
  name: 'RETR',
  states: ['transaction'],
  async run(session, line) {
    const message = session.drop.get(messageNumber(line.words[0]))
    await session.sendMessage(message)
  },
}

import type { Pop3Command } from '../command.ts'
import { Pop3SyntaxError } from '../wire/parser.ts'

/** RFC 1939 §5: "+OK count size" of the messages not marked deleted. */
export const stat: Pop3Command = {
  name: 'STAT',
  states: ['transaction'],
  async run(session, line) {
    if (line.words.length) throw new Pop3SyntaxError('STAT takes no arguments')
    const { count, size } = session.drop.stat()
    await session.ok(`${count} ${size}`)
  },
}

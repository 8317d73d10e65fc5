import type { Pop3Command } from '../command.ts'
import { messageNumber } from '../wire/parser.ts'
import { listing } from './list.ts'

/** RFC 1939 §7: UIDL [msg], unique-id listings stable across sessions (and equal to IMAP's UIDs). */
export const uidl: Pop3Command = {
  name: 'UIDL',
  states: ['transaction'],
  async run(session, line) {
    const drop = session.drop
    if (line.words.length) {
      const n = messageNumber(line.words[0])
      await session.ok(`${n} ${drop.uidl(drop.get(n))}`)
      return
    }
    await session.okLines('Unique-id listing follows', listing(drop.messages, (m) => drop.uidl(m)))
  },
}

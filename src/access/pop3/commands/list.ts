import type { Pop3Command } from '../command.ts'
import { messageNumber } from '../wire/parser.ts'

/** RFC 1939 §5: LIST [msg], scan listings "n size"; deleted messages are left out. */
export const list: Pop3Command = {
  name: 'LIST',
  states: ['transaction'],
  async run(session, line) {
    const drop = session.drop
    if (line.words.length) {
      const n = messageNumber(line.words[0])
      await session.ok(`${n} ${drop.get(n).size}`)
      return
    }
    const { count, size } = drop.stat()
    await session.okLines(`${count} messages (${size} octets)`, listing(drop.messages, (m) => String(m.size)))
  },
}

/** "n value" lines for the messages not marked deleted, generated lazily (100,000 messages). */
export function* listing<T extends { deleted: boolean }>(messages: readonly T[], value: (m: T) => string): Generator<string> {
  for (let i = 0; i < messages.length; i++) {
    if (!messages[i].deleted) yield `${i + 1} ${value(messages[i])}`
  }
}

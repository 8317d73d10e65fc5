import type { Pop3Command } from '../command.ts'

/** RFC 1939 §5: unmark every message marked deleted in this session. */
export const rset: Pop3Command = {
  name: 'RSET',
  states: ['transaction'],
  async run(session) {
    const drop = session.drop
    for (const m of drop.messages) m.deleted = false
    const { count, size } = drop.stat()
    await session.ok(`Maildrop has ${count} messages (${size} octets)`)
  },
}

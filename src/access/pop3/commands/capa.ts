import type { Pop3Command } from '../command.ts'

/** RFC 2449 §5: the capability list, in any state. */
export const capa: Pop3Command = {
  name: 'CAPA',
  states: ['authorization', 'transaction'],
  async run(session) {
    await session.okLines('Capability list follows', session.capabilities())
  },
}

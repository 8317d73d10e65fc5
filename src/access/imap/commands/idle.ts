import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'

/**
 * RFC 2177 / RFC 9051 §6.3.13: changes by other sessions (store bus events routed by the hub)
 * are reported as they happen, expunges included, until the client sends DONE.
 */
export const idle: ImapCommand = {
  name: 'IDLE',
  states: AUTHENTICATED,
  async run(session, args) {
    args.end()
    await session.write('+ idling\r\n')
    if (session.state.kind === 'selected') await session.sync(true)
    await session.flush()
    const line = session.readLine()
    for (;;) {
      const event = await Promise.race([line.then((l) => ({ l })), session.changed().then(() => null)])
      if (event) {
        if (event.l === null) {
          session.state = { kind: 'logout' }
          return
        }
        if (event.l.toString('latin1').toUpperCase() !== 'DONE') throw new ImapError('BAD', null, 'Expected DONE')
        break
      }
      await session.sync(true)
      await session.flush()
    }
    session.tagged('OK', 'IDLE terminated')
  },
}

import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'

/** RFC 5161. QRESYNC implies CONDSTORE (RFC 7162 §3.2.3). Unknown ones are ignored. */
export const enable: ImapCommand = {
  name: 'ENABLE',
  states: AUTHENTICATED,
  async run(session, args) {
    const enabled: string[] = []
    if (args.done) throw new ImapSyntaxError('ENABLE needs a capability')
    while (!args.done) {
      const cap = args.atom('capability').toUpperCase()
      if (cap === 'CONDSTORE' && !session.condstore) {
        session.condstore = true
        enabled.push(cap)
      } else if (cap === 'QRESYNC' && !session.qresync) {
        session.qresync = true
        session.condstore = true
        enabled.push(cap)
      } else if ((cap === 'UTF8=ACCEPT' || cap === 'UTF8=ONLY') && !session.utf8) {
        session.utf8 = true
        enabled.push('UTF8=ACCEPT')
      } else if (cap === 'IMAP4REV2' && !session.rev2) {
        session.rev2 = true
        enabled.push('IMAP4rev2')
      }
    }
    await session.untagged(`ENABLED${enabled.map((c) => ' ' + c).join('')}`)
    session.tagged('OK', 'ENABLE completed')
  },
}

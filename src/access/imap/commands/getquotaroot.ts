import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { findMailbox } from '../find-mailbox.ts'
import { encodeMailbox } from '../wire/encoder.ts'
import { writeQuota } from '../quota-response.ts'

/** RFC 9208 §4.3. */
export const getquotaroot: ImapCommand = {
  name: 'GETQUOTAROOT',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    args.end()
    const folder = await findMailbox(session, name)
    await session.untagged(`QUOTAROOT ${encodeMailbox(folder.path, session.utf8Names)} ""`)
    await writeQuota(session)
    session.tagged('OK', 'GETQUOTAROOT completed')
  },
}

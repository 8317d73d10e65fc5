import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { writeQuota } from '../quota-response.ts'

/** RFC 9208 §4.2: one quota root per account, named "". */
export const getquota: ImapCommand = {
  name: 'GETQUOTA',
  states: AUTHENTICATED,
  async run(session, args) {
    const root = args.string('quota root')
    args.end()
    if (root !== '') throw new ImapError('NO', 'NONEXISTENT', 'No such quota root')
    await writeQuota(session)
    session.tagged('OK', 'GETQUOTA completed')
  },
}

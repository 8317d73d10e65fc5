import { ANY_STATE, type ImapCommand } from '../command.ts'
import { encodeString } from '../wire/encoder.ts'

/** RFC 2971. The client's list is read and ignored (its size is bounded by the line limit). */
export const id: ImapCommand = {
  name: 'ID',
  states: ANY_STATE,
  async run(session, args) {
    if (!args.accept('NIL')) args.list('ID parameters')
    args.end()
    await session.untagged(`ID ("name" "Tidings" "vendor" "Tidings" "support-url" ${encodeString(`mailto:postmaster@${session.ctx.config.string('hostname')}`)})`)
    session.tagged('OK', 'ID completed')
  },
}

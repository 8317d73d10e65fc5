import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'

/** RFC 4978 COMPRESS=DEFLATE: OK in the clear, then raw DEFLATE both ways. */
export const compress: ImapCommand = {
  name: 'COMPRESS',
  states: AUTHENTICATED,
  async run(session, args, call) {
    const mechanism = args.atom('mechanism').toUpperCase()
    args.end()
    if (mechanism !== 'DEFLATE') throw new ImapError('NO', null, 'Unknown compression mechanism')
    if (session.compressed) throw new ImapError('NO', 'COMPRESSIONACTIVE', 'Compression is already active')
    session.tagged('OK', 'DEFLATE active')
    await session.respondNow(call.tag)
    session.startCompression()
  },
}

import type { ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { signIn } from '../sign-in.ts'
import { LineTooLongError } from '../../line/line-reader.ts'
import type { ImapSession } from '../session.ts'

/** RFC 9051 §6.2.2 with SASL-IR (RFC 4959): PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login). */
export const authenticate: ImapCommand = {
  name: 'AUTHENTICATE',
  states: ['notAuthenticated'],
  async run(session, args) {
    const mechanism = args.atom('SASL mechanism').toUpperCase()
    const initial = args.done ? null : args.atom('initial response')
    args.end()
    if (!session.loginAllowed) throw new ImapError('NO', 'PRIVACYREQUIRED', 'Use STARTTLS first')
    if (mechanism === 'PLAIN') {
      const response = initial === null ? await exchange(session, '') : initial === '=' ? Buffer.alloc(0) : decode(initial)
      const parts = response.toString('utf8').split('\0')
      if (parts.length !== 3) throw new ImapError('BAD', null, 'Malformed PLAIN response')
      const [authzid, authcid, password] = parts
      if (authzid && authzid !== authcid) throw new ImapError('NO', 'AUTHORIZATIONFAILED', 'Cannot act as another user')
      await signIn(session, authcid, password)
    } else if (mechanism === 'LOGIN') {
      const user = initial === null ? await exchange(session, 'VXNlcm5hbWU6') : decode(initial)
      const password = await exchange(session, 'UGFzc3dvcmQ6')
      await signIn(session, user.toString('utf8'), password.toString('utf8'))
    } else {
      throw new ImapError('NO', 'CANNOT', `Unsupported mechanism ${mechanism.slice(0, 20)}`)
    }
  },
}

async function exchange(session: ImapSession, challenge: string): Promise<Buffer> {
  let line: Buffer | null
  try {
    line = await session.continuation(challenge)
  } catch (error) {
    // An over-long SASL response is the client's error (the reader already skipped it).
    if (error instanceof LineTooLongError) throw new ImapError('BAD', null, 'SASL response too long')
    throw error
  }
  if (line === null) throw new ImapError('BAD', null, 'Connection closed during authentication')
  const text = line.toString('latin1')
  if (text === '*') throw new ImapError('BAD', null, 'Authentication cancelled')
  return decode(text)
}

function decode(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new ImapSyntaxError('Bad base64 in SASL response')
  return Buffer.from(text, 'base64')
}

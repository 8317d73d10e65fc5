import type { Pop3Command } from '../command.ts'
import { Pop3Error } from '../responses.ts'
import type { Pop3Session } from '../session.ts'

const MECHANISMS = ['PLAIN', 'LOGIN'] as const

/**
 * RFC 5034: AUTH PLAIN (RFC 4616) and LOGIN, with an optional initial response. A bare AUTH lists
 * the mechanisms (RFC 1734 clients still send it).
 */
export const auth: Pop3Command = {
  name: 'AUTH',
  states: ['authorization'],
  async run(session, line) {
    const [mechanism, initial, extra] = line.words
    if (!session.plaintextAllowed) throw new Pop3Error('AUTH', 'Plaintext authentication is not allowed without TLS: use STLS first')
    if (!mechanism) {
      await session.okLines('Supported mechanisms follow', MECHANISMS)
      return
    }
    if (extra !== undefined) throw new Pop3Error(null, 'Too many arguments to AUTH')
    switch (mechanism.toUpperCase()) {
      case 'PLAIN': {
        // RFC 5034 §4: "=" is an empty initial response.
        const response = initial === undefined ? await exchange(session, '') : initial === '=' ? '' : decode(initial)
        const parts = response.split('\0')
        if (parts.length !== 3) throw new Pop3Error(null, 'Malformed PLAIN response')
        const [authzid, authcid, password] = parts
        if (authzid && authzid !== authcid) throw new Pop3Error('AUTH', 'Cannot act as another user')
        await session.signIn(authcid, password)
        return
      }
      case 'LOGIN': {
        const username = initial === undefined ? await exchange(session, 'VXNlcm5hbWU6') : decode(initial)
        const password = await exchange(session, 'UGFzc3dvcmQ6')
        await session.signIn(username, password)
        return
      }
      default:
        throw new Pop3Error(null, `Unsupported mechanism ${mechanism.slice(0, 20)}`)
    }
  },
}

async function exchange(session: Pop3Session, challenge: string): Promise<string> {
  const answer = await session.challenge(challenge)
  if (answer === null) throw new Pop3Error(null, 'Connection closed during authentication')
  // RFC 5034 §4: "*" cancels the exchange.
  if (answer === '*') throw new Pop3Error(null, 'Authentication cancelled')
  return decode(answer)
}

function decode(text: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Pop3Error(null, 'Invalid base64 in SASL response')
  return Buffer.from(text, 'base64').toString('utf8')
}

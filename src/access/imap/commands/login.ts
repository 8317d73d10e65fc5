import type { ImapCommand } from '../command.ts'
import { signIn } from '../sign-in.ts'

/** RFC 9051 §6.2.3. Refused before TLS outside trusted networks (LOGINDISABLED). */
export const login: ImapCommand = {
  name: 'LOGIN',
  states: ['notAuthenticated'],
  async run(session, args) {
    const username = args.string('user name')
    const password = args.string('password')
    args.end()
    await signIn(session, username, password)
  },
}

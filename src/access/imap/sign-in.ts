/**
 * The end of LOGIN and AUTHENTICATE: the directory checks the password (and throttles, RFC 4954
 * style), we enforce TLS-before-plaintext and the per-user session limit.
 */
import type { ImapSession } from './session.ts'
import { ImapError } from './responses.ts'

export async function signIn(session: ImapSession, username: string, password: string): Promise<void> {
  if (!session.loginAllowed) throw new ImapError('NO', 'PRIVACYREQUIRED', 'Use STARTTLS first')
  const { ctx } = session
  let principal
  try {
    principal = await ctx.directory.authenticate({ username, password }, { remote: session.connection.remote, protocol: 'imap' })
  } catch (error) {
    ctx.metrics.logins.inc({ protocol: 'imap', result: 'failure' })
    throw error
  }
  ctx.metrics.logins.inc({ protocol: 'imap', result: 'success' })
  if (principal.kind !== 'user' && principal.kind !== 'shared') throw new ImapError('NO', 'AUTHENTICATIONFAILED', 'Authentication failed')
  if (session.hub.count(principal.id) >= ctx.config.number('imap.max_connections_per_user')) {
    throw new ImapError('NO', 'LIMIT', 'Too many connections for this user')
  }
  session.login(principal)
  session.tagged('OK', `[CAPABILITY ${session.capabilities().join(' ')}] Logged in`)
}

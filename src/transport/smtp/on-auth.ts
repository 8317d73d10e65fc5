/**
 * AUTH PLAIN/LOGIN on the submission listeners (RFC 4954), through `directory.authenticate` and
 * its throttle. Only over TLS (RFC 8314, RFC 4954 4), unless the client is in `trusted_networks`.
 */
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server'
import { DirectoryError } from '../../directory/errors.ts'
import type { SmtpDeps } from './deps.ts'
import { REPLIES, reject, toSmtpError } from './replies.ts'
import { sessionState } from './session-state.ts'
import { withHookTimeout } from './hook-timeout.ts'

export function onAuth(deps: SmtpDeps) {
  return (
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void => {
    const state = sessionState(session)
    if (!session.secure && !state.trusted) {
      callback(reject(REPLIES.encryptionRequired.code, REPLIES.encryptionRequired.text))
      return
    }
    if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') {
      callback(reject(504, '5.5.4 Unrecognized authentication type'))
      return
    }
    // RFC 4616 2: acting as another identity (authzid) needs a right we don't grant; refuse it
    // rather than silently logging in as the authcid.
    if (auth.authzid && auth.authzid.toLowerCase() !== (auth.username ?? '').toLowerCase()) {
      callback(reject(REPLIES.authFailed.code, REPLIES.authFailed.text))
      return
    }
    const credentials = { username: auth.username ?? '', password: auth.password ?? '' }
    withHookTimeout(deps.ctx.directory.authenticate(credentials, { remote: session.remoteAddress, protocol: 'smtp' })).then(
      (principal) => {
        state.principal = principal
        deps.ctx.metrics.logins.inc({ protocol: 'smtp', result: 'ok' })
        callback(null, { user: principal.address })
      },
      (error: unknown) => {
        const result = error instanceof DirectoryError ? error.kind : 'error'
        deps.ctx.metrics.logins.inc({ protocol: 'smtp', result })
        if (!(error instanceof DirectoryError)) deps.ctx.log.error({ err: error, session: session.id }, 'smtp auth failed unexpectedly')
        callback(toSmtpError(error))
      },
    )
  }
}

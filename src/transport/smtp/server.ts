/**
 * Builds the `smtp-server` instance of each role: the MX (25: no AUTH, STARTTLS offered, local
 * recipients only), submission (587: STARTTLS then AUTH) and submissions (465: implicit TLS, AUTH).
 * smtp-server owns the verbs and the wire; our policy lives in the on-*.ts hooks.
 */
import { SMTPServer } from 'smtp-server'
import type { SmtpDeps } from './deps.ts'
import { onConnect, onClose } from './on-connect.ts'
import { onAuth } from './on-auth.ts'
import { onMailFrom } from './on-mail-from.ts'
import { onRcptTo } from './on-rcpt-to.ts'
import { onData } from './on-data.ts'
import { patchSmtpServerReplies } from './smtp-server-patches.ts'
import { guardSlowClients } from './slow-client-guard.ts'
import { limitJunkCommands } from './junk-commands.ts'

/**
 * RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. A command line longer than
 * that is garbage or an attempt to grow our buffers: 500, then the connection closes.
 * (Command lines proper are limited to 512 octets by 4.5.3.1.4; 1000 leaves room for AUTH PLAIN
 * initial responses and long SMTPUTF8 addresses.)
 */
const MAX_COMMAND_LINE = 998
/** Commands before MAIL from a client that hasn't authenticated on submission (smtp-server closes). */
const MAX_UNAUTHENTICATED_COMMANDS = 20
/**
 * Connections per listener, whatever their source: a botnet spread over many addresses passes the
 * per-address limit, and each connection may buffer up to smtp.max_message_size. Past it: 421.
 */
const MAX_CLIENTS_PER_LISTENER = 2_000
/** How long a closing server waits for clients to finish before cutting them off. */
const CLOSE_TIMEOUT_MS = 5_000

export function createSmtpServer(deps: SmtpDeps): SMTPServer {
  patchSmtpServerReplies()
  const { config, tls } = deps.ctx
  const submission = deps.role !== 'mx'
  const trustedConfigured = config.list('trusted_networks').length > 0
  const server = new SMTPServer({
    ...tls.current(),
    secure: deps.role === 'submissions',
    name: config.string('hostname'),
    banner: 'Tidings ESMTP',
    size: config.number('smtp.max_message_size'),
    rejectOversized: true,
    // The MX takes no AUTH at all; submission requires it (authOptional false → 530 before MAIL).
    disabledCommands: submission ? [] : ['AUTH'],
    authOptional: !submission,
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH is advertised in clear text only if trusted networks exist; onAuth still refuses others.
    allowInsecureAuth: submission && trustedConfigured,
    hideDSN: false,
    hideENHANCEDSTATUSCODES: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideREQUIRETLS: true,
    disableReverseLookup: true,
    maxCommandLength: MAX_COMMAND_LINE,
    maxAllowedUnauthenticatedCommands: submission ? MAX_UNAUTHENTICATED_COMMANDS : false,
    maxClients: MAX_CLIENTS_PER_LISTENER,
    socketTimeout: config.number('smtp.socket_timeout'),
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onConnect: onConnect(deps),
    onClose: onClose(deps),
    onAuth: onAuth(deps),
    onMailFrom: onMailFrom(deps),
    onRcptTo: onRcptTo(deps),
    onData: onData(deps),
  })
  // socketTimeout above is an idle timer, reset by every byte: these stop slowloris clients.
  guardSlowClients(server, {
    commandTimeoutMs: config.number('smtp.command_timeout'),
    dataTimeoutMs: config.number('smtp.data_timeout'),
    dataMinRate: config.number('smtp.data_min_rate'),
    loginTimeoutMs: config.number('smtp.login_timeout'),
    onCutOff: (session, why) => deps.ctx.log.info({ remote: session.remoteAddress, role: deps.role }, `smtp slow client cut off: ${why}`),
  })
  limitJunkCommands(server)
  return server
}

/**
 * A client that keeps a connection busy with commands that move no mail (NOOP, RSET, VRFY, HELP,
 * EHLO …) passes every timeout: each line is quick and it is never idle. After MAIL FROM the login
 * deadline is gone too, so `MAIL FROM:<>` then a NOOP every few minutes would hold a slot (and
 * its per-address share) forever. Postfix's answer, smtpd_junk_command_limit, is taken here: at
 * most MAX_JUNK_COMMANDS of them between two messages, then `421 4.7.0` and the connection closes
 * (RFC 5321 3.8 lets a server close with 421 when it must).
 *
 * smtp-server dispatches every command line through `SMTPConnection#_onCommand`; it is wrapped
 * once, like `smtp-server-patches.ts`, and acts only for servers registered here.
 */
import type { SMTPServer } from 'smtp-server'
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'

/** Commands that move no mail, between two messages (Postfix smtpd_junk_command_limit: 100). */
export const MAX_JUNK_COMMANDS = 100
const JUNK = new Set(['NOOP', 'RSET', 'VRFY', 'EXPN', 'HELP', 'ETRN', 'HELO', 'EHLO'])

type Connection = InstanceType<typeof SMTPConnection>

const LIMITED = new WeakSet<SMTPServer>()
/** Junk count per connection, and the message count it was reset at. */
const COUNTS = new WeakMap<Connection, { junk: number; transactions: number }>()
const PATCHED = Symbol.for('tidings.smtp.junkCommands')

/** Applies the junk-command limit to every connection of `server` from now on. */
export function limitJunkCommands(server: SMTPServer): void {
  patchOnce()
  LIMITED.add(server)
}

function patchOnce(): void {
  const proto = SMTPConnection.prototype as unknown as Record<string | symbol, unknown>
  if (proto[PATCHED]) return
  proto[PATCHED] = true
  const onCommand = SMTPConnection.prototype._onCommand
  SMTPConnection.prototype._onCommand = function (this: Connection, command: Buffer, callback?: () => void): void {
    // Continuation lines (AUTH) and plaintext dropped during a STARTTLS handshake are not commands.
    if (!LIMITED.has(this._server) || this._nextHandler || this._upgrading) return onCommand.call(this, command, callback)
    const name = command.toString('latin1', 0, 16).split(' ', 1)[0].toUpperCase()
    if (JUNK.has(name)) {
      let count = COUNTS.get(this)
      if (!count || count.transactions !== this._transactionCounter) {
        count = { junk: 0, transactions: this._transactionCounter }
        COUNTS.set(this, count)
      }
      if (++count.junk > MAX_JUNK_COMMANDS) {
        // send(421) closes the connection; the parser is closed with it, so no callback is due.
        this.send(421, `4.7.0 ${this.name} Too many commands without mail (limit ${MAX_JUNK_COMMANDS}) - closing connection`)
        return
      }
    }
    return onCommand.call(this, command, callback)
  }
}

/**
 * Deadlines for slow SMTP clients (slowloris). smtp-server's `socketTimeout` is an idle timer reset
 * by every byte, so a client sending one byte a second holds its slot (and a growing line or DATA
 * buffer) forever. This adds, per connection:
 * - a command-line deadline: from the first byte of a command line to its CRLF
 *   (`smtp.command_timeout`; RFC 5321 4.5.3.2.7 has servers wait at least 5 min for a command);
 * - a minimum DATA rate: the client starts DATA with `smtp.data_timeout` of credit, each byte
 *   received adds 1/`smtp.data_min_rate` s (never past `smtp.data_timeout` again) and the clock
 *   takes it away; at zero the message is not coming at an acceptable pace (Postfix's
 *   smtpd_min_data_rate model; RFC 5321 4.5.3.2.5: 3 min per data block);
 * - a login deadline: from connect to a successful AUTH or MAIL FROM, whatever is sent
 *   (`smtp.login_timeout`), so a client cannot hold an unauthenticated slot with NOOPs.
 * Expiry: `421 4.4.2 … timeout` and the connection closes (RFC 5321 3.8).
 *
 * Only time the client owes us input counts: while smtp-server is busy with a chunk (a hook
 * running, the spool draining under backpressure) the line and DATA clocks stop.
 *
 * smtp-server has no hook for bytes as they arrive, so this watches its parser: one wrap of
 * `SMTPStream#_write` (every decrypted byte passes there) and of `SMTPConnection#_createParser`
 * (which ties each parser, including the new one after STARTTLS, to its connection). Both are
 * done once, like `smtp-server-patches.ts`; servers without registered limits are untouched.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server'
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js'

/** After the 421, how long a client that does not read or close gets before the socket is destroyed. */
export const CUT_OFF_LINGER_MS = 1000

export interface SlowClientLimits {
  /** First byte of a command line to its end; 0 turns it off. */
  commandTimeoutMs: number
  /** DATA credit (see above); 0 turns the DATA deadline off. */
  dataTimeoutMs: number
  /** Bytes per second that earn one second of DATA credit; at least 1. */
  dataMinRate: number
  /** Connect to a successful AUTH or MAIL FROM; 0 turns it off. */
  loginTimeoutMs: number
  /** Told of each connection cut off (for the log). */
  onCutOff?: (session: SMTPServerSession, why: string) => void
}

type Connection = InstanceType<typeof SMTPConnection>
type Parser = InstanceType<typeof SMTPStream>
type WriteCallback = (error?: Error | null) => void

const LIMITS = new WeakMap<SMTPServer, SlowClientLimits>()
const WATCH_BY_PARSER = new WeakMap<Parser, ConnectionWatch>()
const WATCH_BY_SESSION = new WeakMap<SMTPServerSession, ConnectionWatch>()
/** Parsers inside a `_write` right now (smtp-server re-enters `_write` from within one). */
const IN_FLIGHT = new WeakSet<Parser>()
const PATCHED = Symbol.for('tidings.smtp.slowClientGuard')

/** Applies `limits` to every connection of `server` from now on. */
export function guardSlowClients(server: SMTPServer, limits: SlowClientLimits): void {
  for (const key of ['commandTimeoutMs', 'dataTimeoutMs', 'loginTimeoutMs'] as const) {
    if (!(limits[key] >= 0)) throw new RangeError(`${key} must be ≥ 0, not ${limits[key]}`)
  }
  if (!(limits.dataMinRate >= 1)) throw new RangeError(`smtp.data_min_rate must be at least 1 byte/s, not ${limits.dataMinRate}`)
  patchOnce()
  LIMITS.set(server, limits)
}

/** Stops the timers of a closed session (called from onClose). */
export function releaseSlowClientGuard(session: SMTPServerSession): void {
  WATCH_BY_SESSION.get(session)?.stop()
}

class ConnectionWatch {
  readonly #connection: Connection
  readonly #limits: SlowClientLimits
  #lineDeadline: number | null = null
  #dataDeadline: number | null = null
  #loginDeadline: number | null
  #busySince: number | null = null
  #timer: NodeJS.Timeout | null = null
  #stopped = false

  constructor(connection: Connection, limits: SlowClientLimits) {
    this.#connection = connection
    this.#limits = limits
    this.#loginDeadline = limits.loginTimeoutMs > 0 ? Date.now() + limits.loginTimeoutMs : null
    this.#arm()
  }

  /** A chunk reached the parser (before it is processed). */
  received(parser: Parser, bytes: number): void {
    const now = Date.now()
    this.#busySince = now
    if (parser._dataMode) this.#credit(bytes, now)
    else if (this.#lineDeadline === null && this.#limits.commandTimeoutMs > 0) this.#lineDeadline = now + this.#limits.commandTimeoutMs
    this.#arm()
  }

  /** The parser is done with the chunk (commands answered, DATA bytes taken by the spool). */
  processed(parser: Parser): void {
    const now = Date.now()
    // The time smtp-server spent on the chunk was ours, not the client's.
    const busy = this.#busySince === null ? 0 : now - this.#busySince
    this.#busySince = null
    if (this.#lineDeadline !== null) this.#lineDeadline += busy
    if (this.#dataDeadline !== null) this.#dataDeadline += busy
    if (parser._dataMode) {
      this.#lineDeadline = null
      if (this.#dataDeadline === null && this.#limits.dataTimeoutMs > 0) this.#dataDeadline = now + this.#limits.dataTimeoutMs
    } else {
      this.#dataDeadline = null
      // A partial line left in the parser keeps its deadline; none left, none running.
      if (parser._remainder === '') this.#lineDeadline = null
      else if (this.#lineDeadline === null && this.#limits.commandTimeoutMs > 0) this.#lineDeadline = now + this.#limits.commandTimeoutMs
    }
    const session = this.#connection.session
    if (session.user || session.envelope?.mailFrom) this.#loginDeadline = null
    this.#arm()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #credit(bytes: number, now: number): void {
    if (this.#dataDeadline === null) return
    const earned = (bytes * 1000) / this.#limits.dataMinRate
    this.#dataDeadline = Math.min(this.#dataDeadline + earned, now + this.#limits.dataTimeoutMs)
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#stopped) return
    // While a chunk is being processed only the login deadline runs; processed() re-arms the rest.
    const busy = this.#busySince !== null
    const next = Math.min(
      busy ? Infinity : this.#lineDeadline ?? Infinity,
      busy ? Infinity : this.#dataDeadline ?? Infinity,
      this.#loginDeadline ?? Infinity,
    )
    if (next === Infinity) return
    this.#timer = setTimeout(() => this.#check(), Math.max(0, next - Date.now()))
    this.#timer.unref()
  }

  #check(): void {
    this.#timer = null
    const connection = this.#connection
    if (this.#stopped || connection._closing || connection._closed) return this.stop()
    const now = Date.now()
    if (this.#loginDeadline !== null && now >= this.#loginDeadline) {
      return this.#expire(`no AUTH or MAIL FROM within ${seconds(this.#limits.loginTimeoutMs)} s`)
    }
    // While smtp-server works on a chunk the client is waiting for us (#arm leaves these out then).
    if (this.#busySince === null) {
      if (this.#lineDeadline !== null && now >= this.#lineDeadline) {
        return this.#expire(`command line not completed within ${seconds(this.#limits.commandTimeoutMs)} s`)
      }
      if (this.#dataDeadline !== null && now >= this.#dataDeadline) {
        return this.#expire(`message data slower than ${this.#limits.dataMinRate} bytes/s`)
      }
    }
    this.#arm()
  }

  #expire(why: string): void {
    this.stop()
    const connection = this.#connection
    this.#limits.onCutOff?.(connection.session, why)
    connection.send(421, `4.4.2 ${connection.name} Timeout: ${why} - closing connection`)
    connection.close()
    const socket = connection._socket
    setTimeout(() => socket.destroy(), CUT_OFF_LINGER_MS).unref()
  }
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10)
}

function patchOnce(): void {
  const connectionProto = SMTPConnection.prototype as unknown as Record<string | symbol, unknown>
  if (connectionProto[PATCHED]) return
  connectionProto[PATCHED] = true

  const createParser = SMTPConnection.prototype._createParser
  SMTPConnection.prototype._createParser = function (this: Connection): Parser {
    const parser = createParser.call(this)
    const limits = LIMITS.get(this._server)
    if (limits) {
      let watch = WATCH_BY_SESSION.get(this.session)
      if (!watch) {
        watch = new ConnectionWatch(this, limits)
        WATCH_BY_SESSION.set(this.session, watch)
      }
      WATCH_BY_PARSER.set(parser, watch)
    }
    return parser
  }

  const write = SMTPStream.prototype._write
  SMTPStream.prototype._write = function (this: Parser, chunk: Buffer, encoding: BufferEncoding | 'buffer', next: WriteCallback): void {
    const watch = WATCH_BY_PARSER.get(this)
    // A re-entrant call (DATA ended mid-chunk, the rest is parsed as commands) belongs to the outer one.
    if (!watch || IN_FLIGHT.has(this) || this.isClosed) return write.call(this, chunk, encoding, next)
    IN_FLIGHT.add(this)
    watch.received(this, chunk.length)
    write.call(this, chunk, encoding, (error?: Error | null) => {
      IN_FLIGHT.delete(this)
      watch.processed(this)
      next(error)
    })
  }
}

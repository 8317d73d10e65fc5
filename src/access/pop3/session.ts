/**
 * One POP3 connection (RFC 1939): reads command lines, dispatches them generically to the command
 * modules, maps errors once (responses.ts), enforces the limits, and streams messages with
 * backpressure. Deletions happen only in the UPDATE state, after QUIT (RFC 1939 §6); a dropped
 * connection or an autologout deletes nothing.
 */
import { randomBytes } from 'node:crypto'
import type { ServerContext } from '../../server-context.ts'
import type { Principal } from '../../directory/directory.ts'
import { LineDeadlineError, LineReader, LineTooLongError } from '../line/line-reader.ts'
import { LineWriter } from '../line/line-writer.ts'
import { upgradeToTls, type LineConnection } from '../line/listener.ts'
import { parseLine } from './wire/parser.ts'
import { MultilineEncoder } from './wire/multiline.ts'
import { openMessage } from './message-source.ts'
import { COMMANDS } from './commands/index.ts'
import type { Pop3State } from './command.ts'
import { mapError, Pop3Error } from './responses.ts'
import { Maildrop, type DropMessage } from './maildrop.ts'
import type { MaildropLocks } from './locks.ts'

/**
 * Longest command line. RFC 2449 §4 allows 255 octets for commands; AUTH responses (RFC 5034 §4)
 * may be longer, so some room, but an endless line is dropped, not buffered.
 */
export const MAX_LINE = 4096
/** Invalid commands before the connection is closed (a client looping on garbage, a scanner). */
export const MAX_BAD_COMMANDS = 20
/** Commands before authentication: stops an anonymous client from holding a session busy. */
export const MAX_UNAUTHENTICATED_COMMANDS = 50
/** Failed logins on one connection before it is closed (the directory throttles across them). */
export const MAX_AUTH_FAILURES = 3
/** RFC 1939 §3: the inactivity autologout timer must be at least 10 minutes. */
export const IDLE_TIMEOUT_MS = 10 * 60_000
/**
 * After a timeout -ERR, how long the peer gets to read it before the socket is destroyed: a
 * slowloris client may not read at all, and must not hold the slot by not reading either.
 */
export const CUT_OFF_LINGER_MS = 1000
/*
 * Two more timeouts come from the config, because an idle timer reset by every byte cannot stop a
 * client that sends one byte a second (slowloris):
 * - `pop3.command_timeout`: from the first byte of a command line to its CRLF (the line reader's
 *   deadline; it runs only while the session waits for input);
 * - `pop3.login_timeout`: from connect to a successful login, whatever the client sends.
 * 0 turns either off.
 */

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10)
}

function deadlineText(error: LineDeadlineError): string {
  return `-ERR Timeout: command line not completed within ${seconds(error.deadlineMs)} s`
}

export type SessionState =
  | { kind: 'authorization'; user: string | null }
  | { kind: 'transaction'; principal: Principal; drop: Maildrop }
  | { kind: 'closed' }

/** Something went wrong after a +OK was sent: the response cannot be completed, so hang up. */
class BrokenResponse extends Error {}

export class Pop3Session {
  readonly id = randomBytes(6).toString('base64url')
  readonly ctx: ServerContext
  readonly connection: LineConnection
  state: SessionState = { kind: 'authorization', user: null }
  readonly #locks: MaildropLocks
  #reader: LineReader
  #writer: LineWriter
  #bads = 0
  #unauthenticated = 0
  #authFailures = 0
  #closing = false

  constructor(ctx: ServerContext, connection: LineConnection, locks: MaildropLocks) {
    this.ctx = ctx
    this.connection = connection
    this.#locks = locks
    const commandTimeout = ctx.config.number('pop3.command_timeout')
    this.#reader = new LineReader(connection.socket, { maxLine: MAX_LINE, lineDeadlineMs: commandTimeout > 0 ? commandTimeout : undefined })
    this.#writer = new LineWriter(connection.socket)
  }

  /** The maildrop of the TRANSACTION state. */
  get drop(): Maildrop {
    if (this.state.kind !== 'transaction') throw new Pop3Error(null, 'Not logged in')
    return this.state.drop
  }

  /** Plaintext passwords only over TLS, or from `trusted_networks` (RFC 2595 §2.1, DESIGN). */
  get plaintextAllowed(): boolean {
    return this.connection.secure || this.connection.trusted
  }

  // ---- output ----

  async ok(text: string): Promise<void> {
    await this.#writer.write(`+OK ${text}\r\n`)
  }

  /** A multi-line response (RFC 1939 §3): +OK, the lines dot-stuffed, then ".". */
  async okLines(text: string, lines: Iterable<string>): Promise<void> {
    await this.#writer.write(`+OK ${text}\r\n`)
    for (const line of lines) await this.#writer.write(line.startsWith('.') ? `.${line}\r\n` : `${line}\r\n`)
    await this.#writer.write('.\r\n')
  }

  /** `+ challenge` (RFC 5034 §4) and the client's answer; null when the connection ends. */
  async challenge(base64: string): Promise<string | null> {
    await this.#writer.write(`+ ${base64}\r\n`)
    await this.#writer.flush()
    let line: Buffer | null
    try {
      line = await this.#reader.readLine()
    } catch (error) {
      // An over-long SASL response is the client's error, not ours: refuse it, keep the session.
      if (error instanceof LineTooLongError) throw new Pop3Error(null, `SASL response too long (limit ${MAX_LINE} octets)`)
      if (error instanceof LineDeadlineError) {
        this.#cutOff(deadlineText(error))
        throw new BrokenResponse('SASL response timed out', { cause: error })
      }
      throw error
    }
    return line === null ? null : line.toString('latin1')
  }

  /**
   * RETR / TOP: streams the stored bytes dot-stuffed, never the whole message in memory; the
   * writer waits for the socket to drain (backpressure).
   */
  async sendMessage(message: DropMessage, bodyLines?: number): Promise<void> {
    const drop = this.drop
    const source = await openMessage(this.ctx.store, drop.account, message)
    const encoder = new MultilineEncoder({ bodyLines })
    await this.#writer.write(bodyLines === undefined ? `+OK ${message.size} octets\r\n` : '+OK top of message follows\r\n')
    let sent = 0
    try {
      for await (const chunk of source.chunks) {
        const out = encoder.encode(chunk)
        sent += out.length
        if (out.length) await this.#writer.write(out)
        if (encoder.done || this.connection.socket.destroyed) break
      }
    } catch (error) {
      throw new BrokenResponse('Message stream failed', { cause: error })
    } finally {
      source.destroy()
    }
    await this.#writer.write(encoder.finish())
    this.ctx.metrics.pop3Retrieved.inc(sent)
    if (bodyLines === undefined) message.retrieved = true
  }

  // ---- state ----

  /** USER/PASS and AUTH end here: check the password, lock the maildrop, enter TRANSACTION. */
  async signIn(username: string, password: string): Promise<void> {
    if (!this.plaintextAllowed) throw new Pop3Error('AUTH', 'Plaintext authentication is not allowed without TLS: use STLS first')
    const { ctx } = this
    let principal: Principal
    try {
      principal = await ctx.directory.authenticate({ username, password }, { remote: this.connection.remote, protocol: 'pop3' })
      if (principal.kind !== 'user' && principal.kind !== 'shared') throw new Pop3Error('AUTH', 'Authentication failed')
    } catch (error) {
      ctx.metrics.logins.inc({ protocol: 'pop3', result: 'failure' })
      this.#authFailures++
      throw error
    }
    ctx.metrics.logins.inc({ protocol: 'pop3', result: 'success' })
    // RFC 2449 §8.1.1: [IN-USE] when the maildrop is locked by another session.
    if (!this.#locks.acquire(principal.id)) throw new Pop3Error('IN-USE', 'Mailbox is already in use by another POP3 session')
    let drop: Maildrop
    try {
      drop = await Maildrop.open(ctx.store, principal.id)
    } catch (error) {
      this.#locks.release(principal.id)
      throw error
    }
    this.state = { kind: 'transaction', principal, drop }
    const { count, size } = drop.stat()
    await this.ok(`Logged in, ${count} messages (${size} octets)`)
  }

  /** QUIT: in TRANSACTION, the UPDATE state removes the messages marked deleted (RFC 1939 §6). */
  async quit(): Promise<void> {
    const state = this.state
    this.state = { kind: 'closed' }
    if (state.kind !== 'transaction') {
      await this.ok('Tidings POP3 server signing off')
      return
    }
    const { drop, principal } = state
    try {
      const deleted = drop.messages.filter((m) => m.deleted).map((m) => m.uid)
      const seen = drop.messages.filter((m) => m.retrieved && !m.deleted).map((m) => m.uid)
      if (deleted.length) await this.ctx.store.emails.expunge(drop.account, drop.folder, deleted)
      // Retrieved mail counts as read for IMAP/JMAP clients of the same mailbox. Best effort: the
      // deletions are done, so failing here must not say "some deleted messages not removed".
      if (seen.length) {
        await this.ctx.store.emails.setKeywords(drop.account, drop.folder, seen, { op: 'add', keywords: ['$seen'] })
          .catch((error: unknown) => this.ctx.log.warn({ err: error, session: this.id }, 'pop3 could not mark retrieved messages seen'))
      }
      await this.ok(`Tidings POP3 server signing off (${drop.stat().count} messages left)`)
    } catch (error) {
      const mapped = mapError(error)
      if (mapped.bug) this.ctx.log.error({ err: error, session: this.id }, 'pop3 update failed')
      // RFC 1939 §6: "-ERR some deleted messages not removed".
      await this.#writer.write(`-ERR [SYS/TEMP] Some deleted messages not removed: ${mapped.text}\r\n`)
    } finally {
      this.#locks.release(principal.id)
    }
  }

  /** STLS (RFC 2595 §4): +OK, then the TLS handshake on the same socket. */
  async startTls(): Promise<void> {
    // Bytes pipelined after STLS were sent in the clear: never execute them (RFC 2595 §3.1).
    this.#reader.detach()
    await this.ok('Begin TLS negotiation')
    await this.#writer.flush()
    this.connection.socket.setTimeout(0)
    let secure
    try {
      secure = await upgradeToTls(this.connection, this.ctx.tls, this.ctx.config.string('tls.min_version'))
    } catch (error) {
      // A failed handshake is the client's business, not a server bug: just hang up.
      throw new BrokenResponse('TLS handshake failed', { cause: error })
    }
    this.#reader.attach(secure)
    this.#writer.setTarget(secure)
    secure.setTimeout(IDLE_TIMEOUT_MS)
    secure.on('timeout', () => this.#autologout())
    // RFC 2595 §4: the client must forget what it knew; the USER given before is gone too.
    this.state = { kind: 'authorization', user: null }
  }

  // ---- the command loop ----

  async run(): Promise<void> {
    const socket = this.connection.socket
    socket.setTimeout(IDLE_TIMEOUT_MS)
    socket.on('timeout', () => this.#autologout())
    this.connection.onShutdown = () => void this.#hangUp('-ERR [SYS/TEMP] Server shutting down')
    // Not reset by traffic, and it survives STLS: the whole way from connect to a login.
    const loginTimeout = this.ctx.config.number('pop3.login_timeout')
    const loginTimer = loginTimeout > 0
      ? setTimeout(() => {
          if (this.state.kind === 'authorization') this.#cutOff(`-ERR Timeout: not logged in within ${seconds(loginTimeout)} s`)
        }, loginTimeout)
      : null
    try {
      await this.ok('Tidings POP3 server ready')
      await this.#writer.flush()
      while (!this.#closing && this.state.kind !== 'closed') {
        let line: Buffer | null
        try {
          line = await this.#reader.readLine()
        } catch (error) {
          if (error instanceof LineDeadlineError) {
            this.#cutOff(deadlineText(error))
            break
          }
          if (!(error instanceof LineTooLongError)) throw error
          this.#bads++
          await this.#writer.write(`-ERR Line too long (limit ${MAX_LINE} octets)\r\n`)
          await this.#writer.flush()
          if (this.#bads >= MAX_BAD_COMMANDS) await this.#hangUp('-ERR Too many invalid commands')
          continue
        }
        if (line === null) break
        await this.#execute(line.toString('utf8'))
        await this.#writer.flush()
        if (this.#bads >= MAX_BAD_COMMANDS) await this.#hangUp('-ERR Too many invalid commands')
        else if (this.#authFailures >= MAX_AUTH_FAILURES) await this.#hangUp('-ERR [AUTH] Too many failed logins')
        else if (this.#unauthenticated > MAX_UNAUTHENTICATED_COMMANDS) await this.#hangUp('-ERR Too many commands without logging in')
      }
    } catch (error) {
      if (!(error instanceof BrokenResponse) && !socket.destroyed) this.ctx.log.warn({ err: error, session: this.id }, 'pop3 session failed')
    } finally {
      if (loginTimer) clearTimeout(loginTimer)
      // A connection lost in TRANSACTION deletes nothing (RFC 1939 §6); the lock goes.
      if (this.state.kind === 'transaction') this.#locks.release(this.state.principal.id)
      this.state = { kind: 'closed' }
      this.#reader.detach()
      this.connection.socket.end()
      setTimeout(() => this.connection.socket.destroy(), 2000).unref()
    }
  }

  async #execute(text: string): Promise<void> {
    const state = this.state.kind as Pop3State
    if (state === 'authorization') this.#unauthenticated++
    try {
      const line = parseLine(text)
      const command = COMMANDS.get(line.keyword)
      if (!command) {
        this.#bads++
        throw new Pop3Error(null, `Unknown command ${line.keyword.slice(0, 10)}`)
      }
      if (!command.states.includes(state)) {
        this.#bads++
        throw new Pop3Error(null, `${command.name} is not valid in the ${state.toUpperCase()} state`)
      }
      await command.run(this, line)
    } catch (error) {
      if (error instanceof BrokenResponse) throw error
      const mapped = mapError(error)
      if (mapped.bug) this.ctx.log.error({ err: error, session: this.id }, 'pop3 command failed')
      if (mapped.bad) this.#bads++
      if (!this.connection.socket.destroyed) await this.#writer.write(`-ERR ${mapped.text}\r\n`)
    }
  }

  /**
   * Ends the session without UPDATE (no deletions), with a last -ERR line. The command loop sees
   * #closing (or the socket closing) and its `finally` releases the lock, even when a login was
   * still completing.
   */
  async #hangUp(text: string): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    try {
      await this.#writer.write(`${text}\r\n`)
      await this.#writer.flush()
    } catch {
      // The peer may be gone already.
    }
    this.connection.socket.end()
  }

  /** RFC 1939 §3: the autologout timer expired; the session does NOT enter UPDATE. */
  #autologout(): void {
    this.#cutOff('-ERR Autologout; idle for too long')
  }

  /**
   * A timeout: one last -ERR, then the connection goes without UPDATE (no deletions). Unlike
   * #hangUp it never waits on the peer: the line is handed to the socket at once, reading stops
   * (the command loop sees the end) and the socket is destroyed after CUT_OFF_LINGER_MS, read or not.
   */
  #cutOff(text: string): void {
    if (this.#closing) return
    this.#closing = true
    this.ctx.log.info({ session: this.id, remote: this.connection.remote }, `pop3 cut off: ${text.slice(5)}`)
    const socket = this.connection.socket
    void this.#writer.write(`${text}\r\n`)
    this.#writer.flush().catch(() => {})
    this.#reader.end()
    socket.end()
    setTimeout(() => socket.destroy(), CUT_OFF_LINGER_MS).unref()
  }

  /** The CAPA list (RFC 2449 §5); what is offered depends on TLS and the state. */
  capabilities(): string[] {
    const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'EXPIRE NEVER']
    if (this.state.kind === 'authorization') {
      if (!this.connection.secure) caps.push('STLS')
      if (this.plaintextAllowed) caps.push('USER', 'SASL PLAIN LOGIN')
    }
    caps.push('IMPLEMENTATION Tidings')
    return caps
  }
}

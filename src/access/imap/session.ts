/**
 * One IMAP connection: reads commands (lines + literals, RFC 9051 §2.2), dispatches them to the
 * command modules generically, maps errors once (responses.ts), counts BADs, enforces timeouts,
 * and reports other sessions' changes where RFC 9051 §7.4.1 allows. Responses stream through a
 * small write batch with backpressure; nothing builds a whole FETCH in memory.
 */
import { randomBytes } from 'node:crypto'
import { createDeflateRaw, createInflateRaw, constants as zlib } from 'node:zlib'
import type { ServerContext } from '../../server-context.ts'
import type { Principal } from '../../directory/directory.ts'
import type { Store } from '../../store/store.ts'
import { LineReader, LineTooLongError } from '../line/line-reader.ts'
import { LineWriter } from '../line/line-writer.ts'
import { upgradeToTls, type LineConnection } from '../line/listener.ts'
import { tokenize, literalMark, type RawCommand } from './wire/tokenizer.ts'
import { ImapArgs } from './wire/parser.ts'
import { ImapSyntaxError } from './wire/syntax-error.ts'
import { COMMANDS } from './commands/index.ts'
import type { ImapState } from './command.ts'
import { mapError, ImapError } from './responses.ts'
import { MailboxView } from './mailbox-view.ts'
import { syncMailbox } from './mailbox-sync.ts'
import type { ImapHub } from './hub.ts'
import { AppendSpool, spoolDirectory } from './append-spool.ts'

/** A command running longer than this is logged (with its verb) so a hang can be traced. */
const SLOW_COMMAND_MS = 30_000
/** Longest command line (RFC 7162 §4 recommends at least 8 KiB; big UID sets need more). */
export const MAX_LINE = 64 * 1024
/**
 * APPEND literal bytes one command keeps in memory while they arrive; the rest go to a temp file
 * (100 clients trickling 50 MiB messages must not pin 5 GB). The mix's 4 KiB messages stay here.
 */
export const APPEND_IN_MEMORY_BYTES = 64 * 1024
/** Bytes moved from the socket to an APPEND spool at a time (what one slow APPEND holds). */
const SPOOL_CHUNK_BYTES = 64 * 1024
/**
 * Slowest literal transfer allowed on top of imap.command_timeout, in bytes per second: a client
 * trickling a literal one byte at a time (slowloris) is cut off; 50 MiB at this rate is 14 h.
 */
export const MIN_LITERAL_BYTES_PER_SECOND = 1024
/** Literal size before authentication (an anonymous client must not make us hold megabytes). */
export const MAX_LITERAL_UNAUTHENTICATED = 8 * 1024
/** Literals in one command (MULTIAPPEND of many small messages still fits). */
export const MAX_LITERALS = 1000
/** BADs before the session is ended (a client looping on garbage, or a port scanner). */
export const MAX_BAD_COMMANDS = 20
/** Commands before login (stops an anonymous client from keeping a slot forever with NOOPs). */
export const MAX_COMMANDS_UNAUTHENTICATED = 50
/** Inactivity before login (an idle anonymous connection holds a slot for nothing). */
export const TIMEOUT_UNAUTHENTICATED_MS = 60_000

export type SessionState =
  | { kind: 'notAuthenticated' }
  | { kind: 'authenticated'; principal: Principal }
  | { kind: 'selected'; principal: Principal; mailbox: MailboxView }
  | { kind: 'logout' }

export class ImapSession {
  readonly id = randomBytes(6).toString('base64url')
  readonly ctx: ServerContext
  readonly hub: ImapHub
  readonly connection: LineConnection
  state: SessionState = { kind: 'notAuthenticated' }
  /** RFC 5161 ENABLE'd extensions. */
  condstore = false
  qresync = false
  utf8 = false
  rev2 = false
  compressed = false
  /** SEARCHRES `$` (RFC 5182): UIDs of the last SEARCH … RETURN (SAVE). */
  saved: number[] = []
  #reader: LineReader
  #writer: LineWriter
  #bads = 0
  #anonymousCommands = 0
  #tagged: { status: string; text: string } | null = null
  /** The running command already sent its completion (respondNow). */
  #answered = false
  #loginDeadline: ReturnType<typeof setTimeout> | undefined
  #wake: (() => void) | null = null
  /** APPEND literals of the command being read or run that went to temp files, by placeholder. */
  readonly #spools = new Map<Buffer, AppendSpool>()
  /** A command is being read: its first byte starts the command deadline. */
  #reading = false
  #commandTimer: ReturnType<typeof setTimeout> | undefined
  #commandStartedAt = 0
  #commandAllowedMs = 0
  readonly #onInput = () => {
    if (this.#reading && this.#commandTimer === undefined) this.#startCommandDeadline()
  }

  constructor(hub: ImapHub, connection: LineConnection) {
    this.hub = hub
    this.ctx = hub.ctx
    this.connection = connection
    this.#reader = new LineReader(connection.socket, { maxLine: MAX_LINE })
    this.#writer = new LineWriter(connection.socket)
  }

  get store(): Store {
    return this.ctx.store
  }

  get principal(): Principal {
    const s = this.state
    if (s.kind !== 'authenticated' && s.kind !== 'selected') throw new Error('Not authenticated')
    return s.principal
  }

  get account(): number {
    return this.principal.id
  }

  get selected(): MailboxView {
    if (this.state.kind !== 'selected') throw new Error('No mailbox selected')
    return this.state.mailbox
  }

  /** Mailbox names in UTF-8 rather than modified UTF-7. */
  get utf8Names(): boolean {
    return this.utf8 || this.rev2
  }

  /** Plaintext login is refused before TLS unless the client is on a trusted network. */
  get loginAllowed(): boolean {
    return this.connection.secure || this.connection.trusted
  }

  // ---- output ----

  /** Writes `* <text>\r\n`; await it for backpressure. */
  untagged(text: string): Promise<void> | void {
    return this.#writer.write(`* ${text}\r\n`)
  }

  /** Raw bytes (literal bodies inside a response). */
  write(chunk: Buffer | string): Promise<void> | void {
    return this.#writer.write(chunk)
  }

  flush(): Promise<void> {
    return this.#writer.flush()
  }

  /** Sets the tagged completion of the running command (sent after pending updates). */
  tagged(status: 'OK' | 'NO' | 'BAD', text: string): void {
    this.#tagged = { status, text }
  }

  /** Sends the tagged completion now (STARTTLS, COMPRESS: it must precede the switch). */
  async respondNow(tag: string): Promise<void> {
    const t = this.#tagged ?? { status: 'OK', text: 'completed' }
    this.#tagged = null
    this.#answered = true
    await this.#writer.write(`${tag} ${t.status} ${t.text}\r\n`)
    await this.#writer.flush()
  }

  /** `+ text`, then the client's next line (AUTHENTICATE exchanges). Null at end of input. */
  async continuation(text: string): Promise<Buffer | null> {
    await this.#writer.write(`+ ${text}\r\n`)
    await this.#writer.flush()
    return this.#reader.readLine()
  }

  // ---- state ----

  login(principal: Principal): void {
    this.state = { kind: 'authenticated', principal }
    this.hub.attach(this)
    clearTimeout(this.#loginDeadline)
    // RFC 9051 §5.4: at least 30 minutes of inactivity once logged in (imap.idle_timeout).
    this.connection.socket.setTimeout(this.ctx.config.number('imap.idle_timeout'))
  }

  select(view: MailboxView): void {
    this.state = { kind: 'selected', principal: this.principal, mailbox: view }
  }

  unselect(): void {
    if (this.state.kind === 'selected') this.state = { kind: 'authenticated', principal: this.state.principal }
  }

  /** Called by the hub when a store event touches one of this account's folders. */
  notify(folders: readonly number[]): void {
    if (this.state.kind !== 'selected') return
    const view = this.state.mailbox
    if (!folders.includes(view.folder.id)) return
    view.dirty = true
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  /** Resolves when the selected mailbox changes (IDLE). */
  changed(): Promise<void> {
    if (this.state.kind === 'selected' && this.state.mailbox.dirty) return Promise.resolve()
    return new Promise((resolve) => { this.#wake = resolve })
  }

  /** The spool an APPEND literal went to (its token holds an empty placeholder), if it did. */
  spooled(literal: Buffer): AppendSpool | undefined {
    return this.#spools.get(literal)
  }

  /** Reads the next client line during IDLE. */
  readLine(): Promise<Buffer | null> {
    return this.#reader.readLine()
  }

  /** Reports pending changes of the selected mailbox; expunges only when `expunges` is true. */
  async sync(expunges: boolean): Promise<void> {
    if (this.state.kind !== 'selected') return
    await syncMailbox(this, this.state.mailbox, expunges)
  }

  // ---- transport switches ----

  async startTls(): Promise<void> {
    // Anything pipelined after STARTTLS was sent in the clear: drop it (RFC 9051 §6.2.1).
    this.#reader.detach()
    this.connection.socket.setTimeout(0)
    const secure = await upgradeToTls(this.connection, this.ctx.tls, this.ctx.config.string('tls.min_version'))
    this.#reader.attach(secure)
    secure.on('data', this.#onInput)
    this.#writer.setTarget(secure)
    secure.setTimeout(TIMEOUT_UNAUTHENTICATED_MS)
    secure.on('timeout', () => this.#timeout())
  }

  /** RFC 4978: from the next byte on, both directions are raw DEFLATE. */
  startCompression(): void {
    const socket = this.connection.socket
    const inflate = createInflateRaw()
    const deflate = createDeflateRaw({ level: 6, memLevel: 8, windowBits: 15 })
    this.#reader.detach()
    socket.pipe(inflate)
    deflate.pipe(socket)
    // Corrupt compressed input (or a peer gone mid-stream) ends the connection.
    inflate.on('error', () => socket.destroy())
    deflate.on('error', () => socket.destroy())
    this.#reader.attach(inflate)
    inflate.on('data', this.#onInput)
    this.#writer.setTarget(deflate, () => deflate.flush(zlib.Z_SYNC_FLUSH))
    this.compressed = true
  }

  // ---- the command loop ----

  async run(): Promise<void> {
    const socket = this.connection.socket
    socket.setTimeout(TIMEOUT_UNAUTHENTICATED_MS)
    socket.on('timeout', () => this.#timeout())
    socket.on('data', this.#onInput)
    socket.once('close', () => {
      clearTimeout(this.#loginDeadline)
      this.#stopCommandDeadline()
      this.#reader.end()
    })
    // Login must complete within imap.login_timeout of connecting, however the client trickles
    // bytes (an idle timer alone is reset by each byte: slowloris).
    this.#loginDeadline = setTimeout(() => {
      if (this.state.kind === 'notAuthenticated') this.#timeout()
    }, this.ctx.config.number('imap.login_timeout'))
    this.#loginDeadline.unref()
    this.connection.onShutdown = () => {
      void this.#bye('Server shutting down')
    }
    try {
      await this.untagged(`OK [CAPABILITY ${this.capabilities().join(' ')}] Tidings IMAP ready`)
      await this.flush()
      while (this.state.kind !== 'logout') {
        const command = await this.#readCommand()
        if (command === null || this.#ended()) break
        if (command === 'skip') continue
        await this.#execute(command)
        if (this.#bads >= MAX_BAD_COMMANDS) {
          await this.#bye('Too many invalid commands')
          break
        }
        if (this.state.kind === 'notAuthenticated' && ++this.#anonymousCommands >= MAX_COMMANDS_UNAUTHENTICATED) {
          await this.#bye('Too many commands without logging in')
          break
        }
      }
    } catch (error) {
      if (!this.connection.socket.destroyed) this.ctx.log.warn({ err: error, session: this.id }, 'imap session failed')
    } finally {
      this.#stopCommandDeadline()
      await this.#discardSpools()
      this.hub.detach(this)
      this.connection.socket.end()
      setTimeout(() => this.connection.socket.destroy(), 2000).unref()
    }
  }

  /**
   * Reads one command with its literals; 'skip' when it was refused while reading. From its first
   * byte the whole command must arrive within imap.command_timeout plus its literals' size at
   * MIN_LITERAL_BYTES_PER_SECOND, however the client trickles it (a per-byte idle timer cannot
   * stop slowloris); time spent running earlier commands is not charged.
   */
  async #readCommand(): Promise<RawCommand | 'skip' | null> {
    this.#reading = true
    this.#commandAllowedMs = this.ctx.config.number('imap.command_timeout')
    // Pipelined bytes already here: this command has started.
    if (this.#reader.buffered > 0) this.#startCommandDeadline()
    try {
      const command = await this.#readCommandParts()
      if (command === null || command === 'skip') await this.#discardSpools()
      return command
    } finally {
      this.#reading = false
      this.#stopCommandDeadline()
    }
  }

  async #readCommandParts(): Promise<RawCommand | 'skip' | null> {
    const command: RawCommand = { lines: [], literals: [] }
    let total = 0
    let inMemory = 0
    for (;;) {
      let line: Buffer | null
      try {
        line = await this.#reader.readLine()
      } catch (error) {
        if (!(error instanceof LineTooLongError)) throw error
        this.#bads++
        await this.#writer.write(`* BAD [TOOBIG] Command line too long\r\n`)
        await this.#writer.flush()
        return 'skip'
      }
      if (line === null) return null
      command.lines.push(line)
      const mark = literalMark(line)
      if (!mark) return command
      const first = command.lines[0].toString('latin1')
      const tag = /^[^\s(){%*"\\+]+/.exec(first)?.[0] ?? '*'
      const isAppend = /^\S+ +APPEND /i.test(first)
      const limit = this.state.kind === 'notAuthenticated' ? MAX_LITERAL_UNAUTHENTICATED : this.ctx.config.number('imap.max_literal')
      total += mark.size
      if (total > limit || command.literals.length >= MAX_LITERALS) {
        // RFC 7888 §4 / RFC 9051 §7.1: too big. APPEND gets NO [TOOBIG], anything else BAD.
        const reply = isAppend && this.state.kind !== 'notAuthenticated' ? 'NO [TOOBIG] Message too big' : 'BAD [TOOBIG] Literal too big'
        if (!isAppend) this.#bads++
        await this.#writer.write(`${tag} ${reply}\r\n`)
        await this.#writer.flush()
        if (mark.nonSync) {
          // The client sends the bytes anyway; we cannot find the next command reliably.
          await this.#bye('Literal too big')
          return null
        }
        return 'skip'
      }
      this.#extendCommandDeadline(mark.size)
      if (!mark.nonSync) {
        await this.#writer.write('+ Ready for literal data\r\n')
        await this.#writer.flush()
      }
      if (isAppend && this.state.kind !== 'notAuthenticated' && inMemory + mark.size > APPEND_IN_MEMORY_BYTES) {
        const placeholder = Buffer.alloc(0)
        if (!(await this.#spoolLiteral(placeholder, mark.size))) return null
        command.literals.push(placeholder)
        continue
      }
      const data = await this.#reader.readBytes(mark.size)
      if (data === null) return null
      inMemory += data.length
      command.literals.push(data)
    }
  }

  /** Moves an APPEND literal from the socket to a temp file as it arrives; false at end of input. */
  async #spoolLiteral(placeholder: Buffer, size: number): Promise<boolean> {
    const spool = await AppendSpool.open(spoolDirectory(this.ctx.blobs))
    this.#spools.set(placeholder, spool)
    for (let left = size; left > 0;) {
      const chunk = await this.#reader.readBytes(Math.min(left, SPOOL_CHUNK_BYTES))
      if (chunk === null) return false
      await spool.write(chunk)
      left -= chunk.length
    }
    await spool.finish()
    return true
  }

  async #discardSpools(): Promise<void> {
    if (this.#spools.size === 0) return
    const spools = [...this.#spools.values()]
    this.#spools.clear()
    await Promise.all(spools.map((spool) => spool.discard()))
  }

  #startCommandDeadline(): void {
    if (this.#commandAllowedMs <= 0) return
    this.#commandStartedAt = Date.now()
    this.#armCommandDeadline()
  }

  /** A literal adds its transfer time at the slowest rate allowed. */
  #extendCommandDeadline(literalBytes: number): void {
    if (this.#commandAllowedMs <= 0) return
    this.#commandAllowedMs += Math.ceil((literalBytes * 1000) / MIN_LITERAL_BYTES_PER_SECOND)
    if (this.#commandTimer === undefined) this.#commandStartedAt = Date.now()
    this.#armCommandDeadline()
  }

  #armCommandDeadline(): void {
    clearTimeout(this.#commandTimer)
    const left = Math.max(0, this.#commandStartedAt + this.#commandAllowedMs - Date.now())
    // Past ~24.8 days setTimeout fires at once; no literal is that slow-and-allowed anyway.
    this.#commandTimer = setTimeout(() => this.#commandTimeout(), Math.min(left, 2 ** 31 - 1))
    this.#commandTimer.unref()
  }

  #stopCommandDeadline(): void {
    clearTimeout(this.#commandTimer)
    this.#commandTimer = undefined
  }

  #commandTimeout(): void {
    this.#commandTimer = undefined
    this.ctx.log.info({ session: this.id, remote: this.connection.remote }, 'imap command not completed in time: closing')
    const socket = this.connection.socket
    setTimeout(() => socket.destroy(), 1000).unref()
    void this.#bye('Timeout: command not completed in time')
  }

  async #execute(raw: RawCommand): Promise<void> {
    const first = raw.lines[0].toString('latin1')
    let tag = /^[^\s(){%*"\\+]+/.exec(first)?.[0] ?? '*'
    let allowExpunge = true
    this.#tagged = null
    this.#answered = false
    let verb = '?'
    // A command that never answers leaves no trace otherwise: name it in the log while it hangs.
    const slow = setTimeout(() => {
      this.ctx.log.warn({ session: this.id, tag, command: verb, state: this.state.kind }, `imap command still running after ${SLOW_COMMAND_MS / 1000} s`)
    }, SLOW_COMMAND_MS).unref()
    try {
      if (raw.lines.length === 1 && raw.lines[0].length === 0) {
        tag = '*'
        throw new ImapSyntaxError('Empty command line')
      }
      const tokens = tokenize(raw)
      const tagToken = tokens[0]
      if (tagToken?.type !== 'atom' || !/^[^\s(){%*"\\+\]]+$/.test(tagToken.value)) {
        tag = '*'
        throw new ImapSyntaxError('Missing or invalid tag')
      }
      tag = tagToken.value
      const args = new ImapArgs(tokens.slice(1), this.utf8Names)
      let name = args.atom('command').toUpperCase()
      let uid = false
      if (name === 'UID') {
        uid = true
        name = args.atom('command after UID').toUpperCase()
      }
      verb = uid ? `UID ${name}` : name
      if (name === 'IDLE') clearTimeout(slow) // long by design (RFC 2177)
      const command = COMMANDS.get(name)
      if (!command || (uid && !command.uid)) throw new ImapSyntaxError(`Unknown command ${name.slice(0, 30)}`)
      const state = this.state.kind as ImapState
      if (!command.states.includes(state)) {
        throw new ImapError('BAD', null, state === 'notAuthenticated' ? `${name} needs authentication first` : `${name} not allowed now`)
      }
      // No EXPUNGE after FETCH/STORE/SEARCH by sequence number (RFC 9051 §7.4.1); they wait.
      if (command.seqs === 'uses' && !uid) allowExpunge = false
      await command.run(this, args, { tag, name, uid })
    } catch (error) {
      const mapped = mapError(error)
      if (mapped.bug) this.ctx.log.error({ err: error, session: this.id }, 'imap command failed')
      if (mapped.status === 'BAD') this.#bads++
      this.#tagged = { status: mapped.status, text: mapped.text }
    }
    await this.#discardSpools()
    if (this.#answered) {
      clearTimeout(slow)
      return
    }
    this.#tagged ??= { status: 'OK', text: 'completed' }
    if (this.state.kind === 'selected' && this.state.mailbox.dirty) {
      try {
        await this.sync(allowExpunge)
      } catch (error) {
        this.ctx.log.error({ err: error, session: this.id }, 'imap sync failed')
      }
    }
    const { status, text } = this.#tagged
    this.#tagged = null
    await this.#writer.write(`${tag} ${status} ${text}\r\n`)
    await this.#writer.flush()
    clearTimeout(slow)
  }

  /** State re-read after an await (TypeScript keeps the loop condition's narrowing otherwise). */
  #ended(): boolean {
    return (this.state as SessionState).kind === 'logout'
  }

  async #bye(text: string): Promise<void> {
    if (this.state.kind === 'logout' && this.connection.socket.destroyed) return
    this.state = { kind: 'logout' }
    try {
      await this.#writer.write(`* BYE ${text}\r\n`)
      await this.#writer.flush()
    } catch {
      // The peer may be gone already.
    }
    this.connection.socket.end()
    // Nothing the client sends after BYE is executed; the command loop sees end of input.
    this.#reader.end()
  }

  #timeout(): void {
    // The client may not be reading at all (a stuck FETCH waits for 'drain'): don't wait for it.
    const socket = this.connection.socket
    setTimeout(() => socket.destroy(), 1000).unref()
    void this.#bye('Autologout; idle for too long')
  }

  /** The current CAPABILITY list (RFC 9051 §7.2.2); it depends on TLS and login state. */
  capabilities(): string[] {
    const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ENABLE', 'ID', 'IDLE', 'NAMESPACE', 'UNSELECT', 'CHILDREN']
    if (!this.connection.secure) caps.push('STARTTLS')
    if (this.state.kind === 'notAuthenticated') {
      if (this.loginAllowed) caps.push('AUTH=PLAIN', 'AUTH=LOGIN')
      else caps.push('LOGINDISABLED')
      return caps
    }
    caps.push(
      'LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'UIDPLUS', 'MOVE', 'CONDSTORE', 'QRESYNC',
      'ESEARCH', 'SEARCHRES', 'SORT', 'THREAD=REFERENCES', 'THREAD=ORDEREDSUBJECT', 'QUOTA', 'QUOTA=RES-STORAGE',
      'QUOTA=RES-MESSAGE', 'STATUS=SIZE', 'OBJECTID', 'PREVIEW', 'BINARY', 'UTF8=ACCEPT', 'MULTIAPPEND',
      `APPENDLIMIT=${this.ctx.config.number('imap.max_literal')}`,
    )
    if (!this.compressed) caps.push('COMPRESS=DEFLATE')
    return caps
  }
}

/**
 * The smallest IMAP session the IDLE scenario needs, over plain TCP or implicit TLS (IMAPS, RFC
 * 8314 §3.3): greeting, LOGIN, SELECT, IDLE (RFC 2177), and a callback per `* n EXISTS`. Lines
 * only: none of these commands' responses carries a literal, and a line ending in `{n}` has its
 * n bytes skipped so a surprise cannot desynchronise it. Certificates are not checked (the
 * servers under test use self-signed ones on 127.0.0.1).
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'

/** A line longer than this without CRLF means the peer is broken (bounds our buffer). */
const MAX_LINE_BYTES = 64 * 1024
/** How long the greeting, a login or a SELECT may take before the session counts as failed. */
const REPLY_TIMEOUT_MS = 120_000

export class IdleSession {
  readonly #socket: Socket
  #buffer = ''
  #skip = 0
  #next = 1
  #waiting: { tag: string; resolve: (line: string) => void; reject: (e: Error) => void } | null = null
  #closed: Error | null = null
  /** Called with the count of every `* n EXISTS`. */
  onExists: ((count: number) => void) | null = null

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => this.#data(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('IMAP connection closed')))
  }

  static async open(options: { port: number; tls?: boolean; host?: string }): Promise<IdleSession> {
    const host = options.host ?? '127.0.0.1'
    const socket = options.tls
      ? connectTls({ port: options.port, host, rejectUnauthorized: false })
      : connectTcp({ port: options.port, host })
    socket.setNoDelay(true)
    const session = new IdleSession(socket)
    const greeting = await session.#expect('*')
    if (!/^\* (OK|PREAUTH)/i.test(greeting)) {
      session.close()
      throw new Error(`IMAP greeting refused: ${greeting}`)
    }
    return session
  }

  /** LOGIN, SELECT INBOX, IDLE; resolves once the server has said `+` to IDLE. */
  async enterIdle(address: string, password: string): Promise<void> {
    await this.#command(`LOGIN ${quote(address)} ${quote(password)}`)
    await this.#command('SELECT INBOX')
    const tag = 'i' + this.#next++
    const ready = this.#expect('+')
    this.#socket.write(`${tag} IDLE\r\n`)
    await ready
  }

  close(): void {
    this.#socket.destroy()
  }

  async #command(text: string): Promise<void> {
    const tag = 'i' + this.#next++
    const reply = this.#expect(tag)
    this.#socket.write(`${tag} ${text}\r\n`)
    const line = await reply
    if (!new RegExp(`^${tag} OK`, 'i').test(line)) throw new Error(`${text.split(' ')[0]} refused: ${line}`)
  }

  /** Resolves with the next line starting with `tag` (`*` for the greeting, `+` for a continuation). */
  #expect(tag: string): Promise<string> {
    if (this.#closed) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${tag} in ${REPLY_TIMEOUT_MS / 1000} s`)), REPLY_TIMEOUT_MS)
      this.#waiting = {
        tag,
        resolve: (line) => { clearTimeout(timer); resolve(line) },
        reject: (error) => { clearTimeout(timer); reject(error) },
      }
    })
  }

  #data(chunk: string): void {
    this.#buffer += chunk
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#buffer.length)
        this.#buffer = this.#buffer.slice(n)
        this.#skip -= n
        if (this.#skip > 0) return
      }
      const end = this.#buffer.indexOf('\r\n')
      if (end < 0) {
        if (this.#buffer.length > MAX_LINE_BYTES) this.#fail(new Error(`IMAP line over ${MAX_LINE_BYTES} bytes`))
        return
      }
      const line = this.#buffer.slice(0, end)
      this.#buffer = this.#buffer.slice(end + 2)
      const literal = /\{(\d+)\+?\}$/.exec(line)
      if (literal) this.#skip = Number(literal[1])
      this.#line(line)
    }
  }

  #line(line: string): void {
    const exists = /^\* (\d+) EXISTS/i.exec(line)
    if (exists) this.onExists?.(Number(exists[1]))
    const w = this.#waiting
    if (w && (line.startsWith(w.tag + ' ') || line === w.tag)) {
      this.#waiting = null
      w.resolve(line)
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return
    this.#closed = error
    this.#socket.destroy()
    const w = this.#waiting
    this.#waiting = null
    w?.reject(error)
  }
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => '\\' + c)}"`
}

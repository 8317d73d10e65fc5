/**
 * A bare SMTP client for the tests that must send what real clients never would (smuggling,
 * pipelined STARTTLS injection, over-long lines): raw bytes out, whole replies in.
 */
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'

export interface Reply {
  code: number
  text: string
}

export class RawSmtp {
  #socket: Socket | TLSSocket
  #buffer = ''
  #waiters: Array<() => void> = []
  closed = false

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket
    this.#listen()
  }

  #listen(): void {
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1')
      for (const w of this.#waiters.splice(0)) w()
    })
    this.#socket.on('close', () => {
      this.closed = true
      for (const w of this.#waiters.splice(0)) w()
    })
    this.#socket.on('error', () => {})
  }

  static async open(port: number, options: { tls?: boolean } = {}): Promise<RawSmtp> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connect({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve())
      socket.once('error', reject)
    })
    const client = new RawSmtp(socket)
    await client.reply()
    return client
  }

  write(data: string | Buffer): void {
    this.#socket.write(data)
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.write(line + '\r\n')
    return this.reply()
  }

  /** The next complete (possibly multi-line) reply; code 0 if the connection closed first. */
  async reply(): Promise<Reply> {
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r?\n/.exec(this.#buffer)
      if (m) {
        this.#buffer = this.#buffer.slice(m[0].length)
        return { code: Number(m[1]), text: m[0].trim() }
      }
      if (this.closed) return { code: 0, text: this.#buffer }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /** Everything received and not yet read as a reply. */
  pending(): string {
    return this.#buffer
  }

  /** STARTTLS already accepted: upgrade this connection. */
  async upgrade(): Promise<void> {
    const plain = this.#socket
    plain.removeAllListeners('data')
    const secure = tlsConnect({ socket: plain as Socket, rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve())
      secure.once('error', reject)
    })
    this.#socket = secure
    this.#buffer = ''
    this.#listen()
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  close(): void {
    this.#socket.destroy()
  }
}

/** AUTH PLAIN initial response for user/password (RFC 4616). */
export function plain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`).toString('base64')
}

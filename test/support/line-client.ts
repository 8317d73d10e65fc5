/**
 * A small client for line-protocol command tests (IMAP, POP3): send raw lines, read responses
 * with IMAP literals inlined, run a tagged IMAP command and get its untagged lines and completion.
 * Deliberately independent of the server's own reader so a bug there cannot hide in both.
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls, type TLSSocket } from 'node:tls'

export interface TaggedResult {
  /** Untagged and continuation lines, literals inlined. */
  lines: string[]
  /** The tagged completion line. */
  tagged: string
}

export class LineClient {
  socket: Socket | TLSSocket
  #buffer = Buffer.alloc(0)
  #waiters: Array<() => void> = []
  #closed = false

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket
    this.#listen(socket)
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<LineClient> {
    const socket = options.tls
      ? connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : connectTcp({ port, host: '127.0.0.1' })
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve())
      socket.once('error', reject)
    })
    return new LineClient(socket)
  }

  #listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#wake()
    })
    socket.on('close', () => {
      this.#closed = true
      this.#wake()
    })
    socket.on('error', () => {})
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  get closed(): boolean {
    return this.#closed
  }

  send(data: string | Buffer): void {
    this.socket.write(data)
  }

  async #more(timeoutMs: number): Promise<void> {
    if (this.#closed) throw new Error(`connection closed; buffered: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for data; buffered: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 300))}`)), timeoutMs)
      this.#waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** One response line (CRLF stripped) with any `{n}` literals read and inlined. */
  async readLine(timeoutMs = 10_000): Promise<string> {
    let out = ''
    for (;;) {
      const lf = this.#buffer.indexOf(0x0a)
      if (lf < 0) {
        await this.#more(timeoutMs)
        continue
      }
      const line = this.#buffer.subarray(0, lf + 1).toString('utf8').replace(/\r?\n$/, '')
      this.#buffer = this.#buffer.subarray(lf + 1)
      const m = /~?\{(\d+)\}$/.exec(line)
      if (!m) return out + line
      const size = Number(m[1])
      while (this.#buffer.length < size) await this.#more(timeoutMs)
      out += line + '\r\n' + this.#buffer.subarray(0, size).toString('utf8')
      this.#buffer = this.#buffer.subarray(size)
    }
  }

  /** Sends `tag text` and reads up to the tagged completion. */
  async command(tag: string, text: string | Buffer): Promise<TaggedResult> {
    this.send(typeof text === 'string' ? `${tag} ${text}\r\n` : Buffer.concat([Buffer.from(tag + ' '), text, Buffer.from('\r\n')]))
    return this.readTagged(tag)
  }

  async readTagged(tag: string): Promise<TaggedResult> {
    const lines: string[] = []
    for (;;) {
      const line = await this.readLine()
      if (line.startsWith(tag + ' ')) return { lines, tagged: line }
      lines.push(line)
    }
  }

  /** Runs a command and asserts its completion status; returns the untagged lines. */
  async expectTagged(tag: string, text: string, status: 'OK' | 'NO' | 'BAD' = 'OK'): Promise<string[]> {
    const result = await this.command(tag, text)
    if (!result.tagged.startsWith(`${tag} ${status}`)) {
      throw new Error(`expected ${tag} ${status}, got ${JSON.stringify(result.tagged)} after ${JSON.stringify(result.lines)}`)
    }
    return result.lines
  }

  /** Switches to TLS on this connection (after the server said OK to STARTTLS/STLS). */
  async upgrade(): Promise<void> {
    const secure = connectTls({ socket: this.socket as Socket, rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve())
      secure.once('error', reject)
    })
    this.socket.removeAllListeners('data')
    this.#buffer = Buffer.alloc(0)
    this.socket = secure
    this.#listen(secure)
  }

  close(): void {
    this.socket.destroy()
  }
}

/** A minimal POP3 client (RFC 1939) for load generation: USER/PASS, STAT, RETR, QUIT. */
import { connect, type Socket } from 'node:net'

/** A status line with no CRLF after this many bytes means the peer is broken. */
const MAX_LINE_BYTES = 64 * 1024

interface Waiter {
  multiline: boolean
  resolve: (reply: Pop3Reply) => void
  reject: (error: Error) => void
}

export interface Pop3Reply {
  ok: boolean
  text: string
  /** Bytes of a multi-line body (RETR), dot-unstuffing ignored. */
  bodyBytes: number
}

export class Pop3Client {
  readonly socket: Socket
  #buf: Buffer = Buffer.alloc(0)
  #waiters: Waiter[] = []
  #status: string | undefined
  #bodyBytes = 0
  #closed: Error | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('POP3 connection closed')))
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<Pop3Client> {
    const client = new Pop3Client(connect({ port, host, noDelay: true }))
    const greeting = await client.#expect(false)
    if (!greeting.ok) throw new Error(`POP3 greeting refused: ${greeting.text}`)
    return client
  }

  command(text: string, multiline = false): Promise<Pop3Reply> {
    const reply = this.#expect(multiline)
    this.socket.write(text + '\r\n')
    return reply
  }

  async login(user: string, password: string): Promise<void> {
    const u = await this.command(`USER ${user}`)
    if (!u.ok) throw new Error(`USER refused: ${u.text}`)
    const p = await this.command(`PASS ${password}`)
    if (!p.ok) throw new Error(`PASS refused: ${p.text}`)
  }

  /** Number of messages in the maildrop (STAT). */
  async stat(): Promise<number> {
    const reply = await this.command('STAT')
    if (!reply.ok) throw new Error(`STAT refused: ${reply.text}`)
    return Number(reply.text.split(' ')[0])
  }

  async quit(): Promise<void> {
    await this.command('QUIT').catch(() => undefined)
    this.socket.destroy()
  }

  #expect(multiline: boolean): Promise<Pop3Reply> {
    if (this.#closed) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => this.#waiters.push({ multiline, resolve, reject }))
  }

  #fail(error: Error): void {
    if (this.#closed) return
    this.#closed = error
    for (const w of this.#waiters.splice(0)) w.reject(error)
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    let pos = 0
    const buf = this.#buf
    while (pos < buf.length && this.#waiters.length > 0) {
      const waiter = this.#waiters[0]
      if (this.#status === undefined) {
        const end = buf.indexOf('\r\n', pos)
        if (end === -1) break
        const line = buf.toString('latin1', pos, end)
        pos = end + 2
        const ok = line.startsWith('+OK')
        if (!waiter.multiline || !ok) {
          this.#waiters.shift()
          waiter.resolve({ ok, text: line.replace(/^(\+OK|-ERR) ?/, ''), bodyBytes: 0 })
          continue
        }
        this.#status = line
        this.#bodyBytes = 0
        continue
      }
      // Multi-line body: ends with a line holding only "." (RFC 1939 3).
      const end = buf.indexOf('\r\n.\r\n', pos - 2 >= 0 ? pos - 2 : pos)
      const atStart = this.#bodyBytes === 0 && buf.toString('latin1', pos, pos + 3) === '.\r\n'
      if (atStart) {
        pos += 3
      } else if (end === -1) {
        // Keep the last 4 bytes: the terminator may straddle two chunks.
        const keep = Math.max(pos, buf.length - 4)
        this.#bodyBytes += keep - pos
        pos = keep
        break
      } else {
        this.#bodyBytes += end + 2 - pos
        pos = end + 5
      }
      const status = this.#status
      this.#status = undefined
      this.#waiters.shift()
      waiter.resolve({ ok: true, text: status.replace(/^\+OK ?/, ''), bodyBytes: this.#bodyBytes })
    }
    this.#buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos)
    if (this.#status === undefined && this.#buf.length > MAX_LINE_BYTES) this.socket.destroy(new Error('POP3 line too long'))
  }
}

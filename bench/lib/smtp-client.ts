/**
 * A minimal SMTP client for load generation: EHLO, then messages sent with PIPELINING
 * (RFC 2920: MAIL, RCPT and DATA in one write, then the body). No TLS, no AUTH.
 */
import { connect, type Socket } from 'node:net'
import { dotStuff } from './message.ts'

/** A reply line with no CRLF after this many bytes means the peer is broken. */
const MAX_REPLY_BYTES = 64 * 1024

export interface SmtpReply {
  code: number
  text: string
}

export class SmtpClient {
  readonly socket: Socket
  pipelining = false
  #buf = ''
  #lines: string[] = []
  #waiters: Array<{ resolve: (reply: SmtpReply) => void; reject: (error: Error) => void }> = []
  #closed: Error | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => this.#onData(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('SMTP connection closed')))
  }

  /** Connects, reads the 220 greeting and says EHLO. */
  static async connect(port: number, host = '127.0.0.1', helo = 'bench.client'): Promise<SmtpClient> {
    const socket = connect({ port, host, noDelay: true })
    const client = new SmtpClient(socket)
    const greeting = await client.#reply()
    if (greeting.code !== 220) throw new Error(`SMTP greeting refused: ${greeting.code} ${greeting.text}`)
    socket.write(`EHLO ${helo}\r\n`)
    const ehlo = await client.#reply()
    if (ehlo.code !== 250) throw new Error(`EHLO refused: ${ehlo.code} ${ehlo.text}`)
    client.pipelining = /\bPIPELINING\b/i.test(ehlo.text)
    return client
  }

  /** Sends one message; resolves with the final reply (250 when accepted). */
  async send(from: string, recipients: readonly string[], raw: Buffer): Promise<SmtpReply> {
    const commands = [`MAIL FROM:<${from}>`, ...recipients.map((r) => `RCPT TO:<${r}>`), 'DATA']
    const replies: SmtpReply[] = []
    if (this.pipelining) {
      const pending = commands.map(() => this.#reply())
      this.socket.write(commands.join('\r\n') + '\r\n')
      for (const p of pending) replies.push(await p)
    } else {
      for (const command of commands) {
        const pending = this.#reply()
        this.socket.write(command + '\r\n')
        const reply = await pending
        replies.push(reply)
        if (reply.code >= 400) break
      }
    }
    const data = replies[replies.length - 1]
    if (data.code !== 354) {
      const failed = replies.find((r) => r.code >= 400) ?? data
      if (data.code < 400) {
        // Without PIPELINING a refused RCPT stops us before DATA; reset the transaction.
        const reset = this.#reply()
        this.socket.write('RSET\r\n')
        await reset
      }
      return failed
    }
    const done = this.#reply()
    const body = dotStuff(raw)
    this.socket.write(body)
    this.socket.write(body[body.length - 1] === 0x0a ? '.\r\n' : '\r\n.\r\n')
    return await done
  }

  async quit(): Promise<void> {
    if (this.#closed) return
    const bye = this.#reply().catch(() => undefined)
    this.socket.write('QUIT\r\n')
    await bye
    this.socket.destroy()
  }

  #reply(): Promise<SmtpReply> {
    if (this.#closed) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  #fail(error: Error): void {
    if (this.#closed) return
    this.#closed = error
    for (const w of this.#waiters.splice(0)) w.reject(error)
  }

  #onData(chunk: string): void {
    this.#buf += chunk
    let end: number
    while ((end = this.#buf.indexOf('\r\n')) !== -1) {
      const line = this.#buf.slice(0, end)
      this.#buf = this.#buf.slice(end + 2)
      this.#lines.push(line)
      // RFC 5321 4.2.1: "250-" continues a multiline reply, "250 " ends it.
      if (line[3] === '-') continue
      const text = this.#lines.map((l) => l.slice(4)).join('\n')
      this.#lines = []
      this.#waiters.shift()?.resolve({ code: Number(line.slice(0, 3)), text })
    }
    if (this.#buf.length > MAX_REPLY_BYTES) this.socket.destroy(new Error('SMTP reply line too long'))
  }
}

/**
 * A minimal IMAP client for load generation: raw socket, tagged commands, literals in responses,
 * synchronizing literals for APPEND, IDLE. Much lighter than a full client so that the generator
 * is not what we measure. Not a general-purpose client: no TLS, no parsing beyond lines + literals.
 */
import { connect, type Socket } from 'node:net'

/** A response line with no CRLF after this many bytes means the peer is broken; stop reading it. */
const MAX_LINE_BYTES = 8 * 1024 * 1024

export interface ImapReply {
  status: 'OK' | 'NO' | 'BAD'
  text: string
  /** Untagged responses received while the command ran ("* 3 EXISTS"), literals inlined. */
  untagged: string[]
}

interface Pending {
  tag: string
  untagged: string[]
  resolve: (reply: ImapReply) => void
  reject: (error: Error) => void
}

export class ImapClient {
  readonly socket: Socket
  /** Called for every untagged response (IDLE's "* 4 EXISTS"), before it is filed with a command. */
  onUntagged?: (line: string) => void
  /** When false, untagged responses are counted but not kept (big FETCHes). */
  keepUntagged = true
  untaggedCount = 0
  #buf: Buffer = Buffer.alloc(0)
  #parts: string[] = []
  #literalLeft = 0
  #pending: Pending[] = []
  #continuation: Array<(line: string) => void> = []
  #greeting: ((line: string) => void) | undefined
  #next = 1
  #closed: Error | undefined
  /** Debug: the last bytes exchanged (set BENCH_IMAP_TRACE=1), to see where a stuck session stopped. */
  trace: string[] | null = process.env.BENCH_IMAP_TRACE === '1' ? [] : null

  private constructor(socket: Socket) {
    this.socket = socket
    if (this.trace) {
      this.#note('*', 'new socket')
      socket.once('connect', () => this.#note('*', `connected from port ${socket.localPort}`))
      socket.once('close', () => this.#note('*', 'closed'))
      const write = socket.write.bind(socket) as (chunk: string | Uint8Array) => boolean
      socket.write = ((chunk: string | Uint8Array) => {
        this.#note('C', chunk)
        return write(chunk)
      }) as typeof socket.write
    }
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('IMAP connection closed')))
  }

  /** Connects and waits for the greeting (which must be OK or PREAUTH). */
  static async connect(port: number, host = '127.0.0.1', created?: (client: ImapClient) => void): Promise<ImapClient> {
    const socket = connect({ port, host, noDelay: true })
    const client = new ImapClient(socket)
    created?.(client)
    const greeting = await new Promise<string>((resolve, reject) => {
      client.#greeting = resolve
      socket.once('error', reject)
      socket.once('close', () => reject(new Error(`IMAP server on ${host}:${port} closed before greeting`)))
    })
    if (!/^\* (OK|PREAUTH)/i.test(greeting)) {
      socket.destroy()
      throw new Error(`IMAP greeting refused: ${greeting}`)
    }
    return client
  }

  /** Sends `TAG <text>` and resolves with the tagged reply (any status; callers check it). */
  command(text: string): Promise<ImapReply> {
    const tag = 'b' + this.#next++
    const done = this.#expect(tag)
    this.socket.write(`${tag} ${text}\r\n`)
    return done
  }

  /** Like `command`, but a status other than OK rejects with the server's words. */
  async ok(text: string): Promise<ImapReply> {
    const reply = await this.command(text)
    if (reply.status !== 'OK') throw new Error(`${text.split(' ')[0]} failed: ${reply.status} ${reply.text}`)
    return reply
  }

  async login(user: string, password: string): Promise<void> {
    await this.ok(`LOGIN ${quote(user)} ${quote(password)}`)
  }

  /** APPEND with a synchronizing literal (RFC 9051 4.3): every server supports it. */
  async append(mailbox: string, raw: Uint8Array, flags = ''): Promise<ImapReply> {
    const tag = 'b' + this.#next++
    const done = this.#expect(tag)
    const go = this.#waitContinuation()
    this.socket.write(`${tag} APPEND ${quote(mailbox)}${flags ? ` (${flags})` : ''} {${raw.length}}\r\n`)
    const first = await Promise.race([go.promise, done])
    if (typeof first !== 'string') {
      // Refused before "+": the waiter must not take the "+" meant for a later command.
      go.cancel()
      return first
    }
    this.socket.write(raw)
    this.socket.write('\r\n')
    return await done
  }

  /**
   * Starts IDLE (RFC 2177) and resolves once the server says "+"; `done()` ends it and `ended`
   * resolves with the tagged reply. (Wrapped: an async function returning a promise would wait for it.)
   */
  async idle(): Promise<{ ended: Promise<ImapReply> }> {
    const tag = 'b' + this.#next++
    const done = this.#expect(tag)
    const go = this.#waitContinuation()
    this.socket.write(`${tag} IDLE\r\n`)
    const first = await Promise.race([go.promise, done])
    if (typeof first !== 'string') go.cancel()
    if (typeof first !== 'string') throw new Error(`IDLE refused: ${first.status} ${first.text}`)
    return { ended: done }
  }

  done(): void {
    this.socket.write('DONE\r\n')
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT')
    } catch {
      // The server may close before we read the tagged OK.
    }
    this.socket.destroy()
  }

  close(): void {
    this.socket.destroy()
  }

  #expect(tag: string): Promise<ImapReply> {
    if (this.#closed) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => this.#pending.push({ tag, untagged: [], resolve, reject }))
  }

  #waitContinuation(): { promise: Promise<string>; cancel: () => void } {
    let waiter!: (line: string) => void
    const promise = new Promise<string>((resolve) => { waiter = resolve })
    this.#continuation.push(waiter)
    return { promise, cancel: () => { this.#continuation = this.#continuation.filter((w) => w !== waiter) } }
  }

  #fail(error: Error): void {
    if (this.#closed) return
    this.#closed = error
    for (const p of this.#pending.splice(0)) p.reject(error)
  }

  #note(who: string, chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1')
    this.trace!.push(`${(performance.now() / 1000).toFixed(3)} ${who}: ${JSON.stringify(text.length > 300 ? text.slice(0, 150) + '…' + text.slice(-150) : text)}`)
    if (this.trace!.length > 30) this.trace!.shift()
  }

  #onData(chunk: Buffer): void {
    if (this.trace) this.#note('S', chunk)
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    let pos = 0
    const buf = this.#buf
    while (pos < buf.length) {
      if (this.#literalLeft > 0) {
        const take = Math.min(this.#literalLeft, buf.length - pos)
        if (this.keepUntagged) this.#parts.push(buf.toString('latin1', pos, pos + take))
        this.#literalLeft -= take
        pos += take
        continue
      }
      const end = buf.indexOf('\r\n', pos)
      if (end === -1) {
        if (buf.length - pos > MAX_LINE_BYTES) this.socket.destroy(new Error('IMAP response line too long'))
        break
      }
      const line = buf.toString('latin1', pos, end)
      pos = end + 2
      const literal = /\{(\d+)\+?\}$/.exec(line)
      this.#parts.push(line)
      if (literal) {
        this.#literalLeft = Number(literal[1])
        continue
      }
      const response = this.#parts.length === 1 ? line : this.#parts.join('\r\n')
      this.#parts = []
      this.#dispatch(response)
    }
    this.#buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos)
  }

  #dispatch(response: string): void {
    if (this.#greeting) {
      const greet = this.#greeting
      this.#greeting = undefined
      greet(response)
      return
    }
    if (response.startsWith('* ')) {
      this.untaggedCount++
      this.onUntagged?.(response)
      if (this.keepUntagged) this.#pending[0]?.untagged.push(response)
      return
    }
    if (response.startsWith('+')) {
      this.#continuation.shift()?.(response)
      return
    }
    const space = response.indexOf(' ')
    const tag = response.slice(0, space)
    const index = this.#pending.findIndex((p) => p.tag === tag)
    if (index === -1) return
    const [pending] = this.#pending.splice(index, 1)
    const rest = response.slice(space + 1)
    const status = rest.slice(0, rest.indexOf(' ') === -1 ? undefined : rest.indexOf(' ')).toUpperCase()
    pending.resolve({
      status: status === 'OK' || status === 'NO' ? status : 'BAD',
      text: rest.slice(status.length + 1),
      untagged: pending.untagged,
    })
  }
}

/** An IMAP quoted string (RFC 9051 4.3); our user names and passwords never hold CR/LF. */
export function quote(text: string): string {
  return '"' + text.replace(/[\\"]/g, (c) => '\\' + c) + '"'
}

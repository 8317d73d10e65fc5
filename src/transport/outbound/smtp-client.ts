/** nodemailer's SMTP connection, promisified, as the outbound side sees it. */
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'

export interface SmtpClientOptions {
  host: string
  port: number
  /** TLS server name (SNI and certificate check): the MX host name. */
  servername: string
  /** Our name for EHLO. */
  name: string
  requireTls: boolean
  verify: boolean
  auth: { user: string; pass: string } | null
  timeoutMs: number
}

export interface SendEnvelope {
  from: string
  to: string[]
  size: number
  /** The message has 8-bit bytes: declare BODY=8BITMIME where the server offers it (RFC 6152). */
  eightBit?: boolean
  dsn?: { ret?: string | null; envid?: string | null; notify?: string[] | null; orcpt?: string | null }
}

export interface SendResult {
  accepted: string[]
  rejected: Array<{ address: string; reply: string }>
  response: string
}

/** An error that came with an SMTP reply (a `responseCode`) or without one (the link broke). */
export interface SmtpFailure extends Error {
  code?: string
  response?: string
  responseCode?: number
  rejectedErrors?: Array<{ recipient?: string; response?: string }>
}

export class SmtpClient {
  readonly #conn: SMTPConnection
  #dead = false
  readonly host: string

  private constructor(conn: SMTPConnection, host: string) {
    this.#conn = conn
    this.host = host
    conn.on('end', () => { this.#dead = true })
    conn.on('error', () => { this.#dead = true })
  }

  static open(options: SmtpClientOptions): Promise<SmtpClient> {
    const conn = new SMTPConnection({
      host: options.host,
      port: options.port,
      name: options.name,
      servername: options.servername,
      requireTLS: options.requireTls,
      opportunisticTLS: !options.requireTls,
      tls: { rejectUnauthorized: options.verify, servername: options.servername },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      // An MX may well be on a private network (smarthosts, split DNS); we choose whom to dial.
      allowInternalNetworkInterfaces: true,
      logger: false,
    })
    return new Promise((resolve, reject) => {
      conn.once('error', reject)
      conn.connect(() => {
        conn.off('error', reject)
        const client = new SmtpClient(conn, options.servername)
        if (!options.auth) return resolve(client)
        conn.login({ user: options.auth.user, pass: options.auth.pass }, (err) => {
          if (err) { client.close(); reject(err) } else resolve(client)
        })
      })
    })
  }

  get alive(): boolean {
    return !this.#dead
  }

  send(envelope: SendEnvelope, raw: Uint8Array): Promise<SendResult> {
    return new Promise((resolve, reject) => {
      const dsn = envelope.dsn && (envelope.dsn.ret || envelope.dsn.envid || envelope.dsn.notify || envelope.dsn.orcpt)
        ? { ret: envelope.dsn.ret ?? undefined, envid: envelope.dsn.envid ?? undefined, notify: envelope.dsn.notify ?? undefined, orcpt: envelope.dsn.orcpt ?? undefined }
        : undefined
      this.#conn.send({ from: envelope.from, to: envelope.to, size: envelope.size, dsn, use8BitMime: envelope.eightBit === true } as SMTPConnection.Envelope, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), (err, info) => {
        if (err) return reject(err)
        resolve({
          accepted: info.accepted,
          rejected: (info.rejectedErrors ?? []).map((e) => ({ address: String((e as { recipient?: string }).recipient ?? ''), reply: String((e as { response?: string }).response ?? '') })),
          response: info.response,
        })
      })
    })
  }

  reset(): Promise<void> {
    return new Promise((resolve, reject) => this.#conn.reset((err) => (err ? reject(err) : resolve())))
  }

  close(): void {
    this.#dead = true
    try { this.#conn.quit() } catch { /* already gone */ }
    setTimeout(() => { try { this.#conn.close() } catch { /* gone */ } }, 1000).unref()
  }
}

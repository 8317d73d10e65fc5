/**
 * Shared set-up for the security tests: a real in-process server (every listener) with two users,
 * and small raw clients for IMAP, POP3 and SMTP over implicit TLS, so a test says exactly what goes
 * on the wire and a server bug cannot hide behind a client library's politeness.
 */
import { connect as connectTls } from 'node:tls'
import { startTestServer, type TestServer } from '../support/start-server.ts'
import { LineClient } from '../support/line-client.ts'
import { RawSmtp, plain } from '../interop/smtp/raw-smtp.ts'

export const ALICE = 'alice@example.test'
export const BOB = 'bob@example.test'
export const ALICE_PASSWORD = 'alice-pass-Kq81'
export const BOB_PASSWORD = 'bob-pass-Wz42'

export interface SecurityServer {
  server: TestServer
  port(key: string): number
  stop(): Promise<void>
}

export async function startSecurityServer(config: Record<string, unknown> = {}): Promise<SecurityServer> {
  const server = await startTestServer({ config })
  await server.addUser(ALICE, ALICE_PASSWORD, { name: 'Alice Secretname' })
  await server.addUser(BOB, BOB_PASSWORD, { name: 'Bob Example' })
  return {
    server,
    port(key) {
      const port = server.ports[key]
      if (!port) throw new Error(`listener ${key} is not running`)
      return port
    },
    stop: () => server.stop(),
  }
}

/** An IMAPS connection past the greeting; logged in when credentials are given. */
export async function imap(port: number, user?: string, password?: string): Promise<LineClient> {
  const client = await LineClient.connect(port, { tls: true })
  const greeting = await client.readLine()
  if (!greeting.startsWith('* OK')) throw new Error(`IMAP greeting: ${greeting}`)
  if (user) await client.expectTagged('L', `LOGIN ${quote(user)} ${quote(password ?? '')}`)
  return client
}

/** A POP3S connection past the greeting; logged in when credentials are given. */
export async function pop3(port: number, user?: string, password?: string): Promise<LineClient> {
  const client = await LineClient.connect(port, { tls: true })
  const greeting = await client.readLine()
  if (!greeting.startsWith('+OK')) throw new Error(`POP3 greeting: ${greeting}`)
  if (user) {
    await pop3Expect(client, `USER ${user}`, '+OK')
    await pop3Expect(client, `PASS ${password}`, '+OK')
  }
  return client
}

/** Sends one POP3 command and returns its status line. */
export async function pop3Command(client: LineClient, line: string): Promise<string> {
  client.send(line + '\r\n')
  return client.readLine()
}

export async function pop3Expect(client: LineClient, line: string, status: '+OK' | '-ERR'): Promise<string> {
  const reply = await pop3Command(client, line)
  if (!reply.startsWith(status)) throw new Error(`POP3 ${line.split(' ')[0]}: expected ${status}, got ${JSON.stringify(reply)}`)
  return reply
}

/** The body of a multi-line POP3 response (after a +OK status line), dot-unstuffed. */
export async function pop3Multiline(client: LineClient): Promise<string[]> {
  const lines: string[] = []
  for (;;) {
    const line = await client.readLine()
    if (line === '.') return lines
    lines.push(line.startsWith('..') ? line.slice(1) : line)
  }
}

/** An SMTP connection over implicit TLS (submissions), authenticated when credentials are given. */
export async function smtps(port: number, user?: string, password?: string): Promise<RawSmtp> {
  const client = await RawSmtp.open(port, { tls: true })
  const ehlo = await client.command('EHLO client.example.test')
  if (ehlo.code !== 250) throw new Error(`EHLO: ${ehlo.text}`)
  if (user) {
    const auth = await client.command(`AUTH PLAIN ${plain(user, password ?? '')}`)
    if (auth.code !== 235) throw new Error(`AUTH: ${auth.text}`)
  }
  return client
}

/** An IMAP quoted string (RFC 9051 §4.3). */
export function quote(text: string): string {
  return '"' + text.replace(/[\\"]/g, (c) => '\\' + c) + '"'
}

/** A small RFC 5322 message. */
export function message(options: { from: string; to: string; subject: string; body?: string }): string {
  return [
    `From: <${options.from}>`,
    `To: <${options.to}>`,
    `Subject: ${options.subject}`,
    'Date: Mon, 23 Nov 2026 12:00:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? 'Hello.',
    '',
  ].join('\r\n')
}

/** APPENDs a message with a synchronizing-free literal (LITERAL+, RFC 7888). */
export async function append(client: LineClient, tag: string, folder: string, raw: string): Promise<string> {
  const bytes = Buffer.byteLength(raw)
  client.send(`${tag} APPEND ${quote(folder)} {${bytes}+}\r\n${raw}\r\n`)
  return (await client.readTagged(tag)).tagged
}

/** HTTPS GET/POST without certificate checks; returns status and body. */
export function https(port: number, options: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const body = options.body ?? ''
      const headers = { host: 'mail.example.test', connection: 'close', 'content-length': String(Buffer.byteLength(body)), ...options.headers }
      socket.write(`${options.method ?? 'GET'} ${options.path} HTTP/1.1\r\n`)
      for (const [name, value] of Object.entries(headers)) socket.write(`${name}: ${value}\r\n`)
      socket.write('\r\n' + body)
    })
    let raw = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (raw += chunk))
    // A server refusing a big request may reset before reading it all: the reply counts if it came.
    socket.on('error', (error) => (/^HTTP\/1\.1 \d{3}/.test(raw) ? undefined : reject(error)))
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw)
      const split = raw.indexOf('\r\n\r\n')
      let body = split >= 0 ? raw.slice(split + 4) : ''
      if (/\r\ntransfer-encoding: chunked/i.test(raw.slice(0, split))) body = unchunk(body)
      resolve({ status: m ? Number(m[1]) : 0, body })
    })
  })
}

function unchunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const crlf = rest.indexOf('\r\n')
    if (crlf < 0) return out
    const size = parseInt(rest.slice(0, crlf), 16)
    if (!size) return out
    out += rest.slice(crlf + 2, crlf + 2 + size)
    rest = rest.slice(crlf + 2 + size + 2)
  }
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
}

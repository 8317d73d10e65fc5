/**
 * A seeded raw-socket fuzzer for every listener: valid protocol traffic mutated (bytes flipped,
 * tokens duplicated or blown up to 100 KiB, literals lying about their size, unbalanced quotes and
 * parentheses, deep nesting, NULs and 8-bit bytes) plus plain random bytes. One connection at a
 * time (the machine is shared), each case bounded by a short read deadline. It records how many
 * cases ran, which replies admit an internal error (IMAP [SERVERBUG], SMTP 451 4.3.0, POP3
 * "internal", HTTP 5xx) with the input that caused them, and whether the listener stopped answering.
 *
 * Short run: `socket-fuzz.test.ts` (npm test). Long run, against a fresh in-process server:
 *   TIDINGS_FUZZ_MS=600000 TIDINGS_FUZZ_SEED=7 node test/fuzz/socket-fuzz.ts
 */
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import { seededRandom as prng } from '../support/seeded-random.ts'

export const FUZZ_TARGETS = ['smtp', 'submission', 'imap', 'pop3', 'http'] as const
export type FuzzTarget = (typeof FUZZ_TARGETS)[number]

/** How long one case waits for the server's answer before moving on. */
const READ_WINDOW_MS = 200
/** …or until it has said something and then nothing more for this long. */
const QUIET_MS = 25
/** A listener that does not accept a connection in this long counts as down. */
const CONNECT_TIMEOUT_MS = 5_000

export interface FuzzOptions {
  seed: number
  /** Wall time per target. */
  msPerTarget: number
  ports: Record<FuzzTarget, number>
  /** Listener with implicit TLS used for authenticated cases (IMAP, POP3, SMTP submission). */
  tlsPorts?: Partial<Record<FuzzTarget, number>>
  credentials: { user: string; password: string }
}

export interface Finding {
  target: FuzzTarget
  seed: number
  caseNo: number
  reply: string
  /** The first 600 characters of the input. */
  input: string
  /** Longest line of the whole input, in characters (line limits are a usual trigger). */
  longestLine: number
}

export interface FuzzReport {
  cases: Record<FuzzTarget, number>
  bytesSent: Record<FuzzTarget, number>
  findings: Finding[]
  /** Targets whose listener refused or timed out a connection: a crash or a hang. */
  down: FuzzTarget[]
}

type Rand = () => number
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]
const int = (rand: Rand, max: number) => Math.floor(rand() * max)

const MESSAGE = 'From: <a@example.test>\r\nTo: <alice@example.test>\r\nSubject: fuzz\r\nMIME-Version: 1.0\r\n'
  + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n'

/** Valid traffic per protocol: each entry is one case's script (lines without CRLF). */
function corpus(target: FuzzTarget, auth: { user: string; password: string }): string[][] {
  const plainIr = Buffer.from(`\0${auth.user}\0${auth.password}`).toString('base64')
  switch (target) {
    case 'imap':
      return [
        ['a CAPABILITY', 'b NOOP', 'c LOGOUT'],
        [`a LOGIN "${auth.user}" "${auth.password}"`, 'b SELECT INBOX', 'c FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODYSTRUCTURE ENVELOPE)', 'd UID SEARCH OR SUBJECT fuzz TEXT "hello world" SINCE 1-Jan-2020'],
        [`a LOGIN "${auth.user}" "${auth.password}"`, 'b LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES UIDNEXT))', 'c STATUS INBOX (MESSAGES UNSEEN HIGHESTMODSEQ)', 'd CREATE "Fuzz/Sub"', 'e RENAME "Fuzz/Sub" "Fuzz/Other"', 'f DELETE "Fuzz/Other"'],
        [`a LOGIN "${auth.user}" "${auth.password}"`, `b APPEND INBOX (\\Seen $Fuzz) "01-Jan-2024 10:00:00 +0000" {${MESSAGE.length}+}`, MESSAGE, 'c SELECT INBOX (CONDSTORE)', 'd UID STORE 1:* +FLAGS.SILENT (\\Flagged) (UNCHANGEDSINCE 99)', 'e UID FETCH 1:* (BODY.PEEK[1.MIME] BINARY.PEEK[1] RFC822.SIZE) (CHANGEDSINCE 1)'],
        [`a AUTHENTICATE PLAIN ${plainIr}`, 'b ENABLE QRESYNC UTF8=ACCEPT', 'c SELECT INBOX (QRESYNC (1 1 1:10))', 'd IDLE', 'DONE', 'e UID SORT (REVERSE DATE) UTF-8 ALL', 'f UID THREAD REFERENCES UTF-8 ALL'],
        [`a LOGIN "${auth.user}" "${auth.password}"`, 'b SELECT INBOX', 'c COPY 1 INBOX', 'd UID MOVE 1 Trash', 'e EXPUNGE', 'f UNSELECT', 'g GETQUOTAROOT INBOX', 'h ID ("name" "fuzz")', 'i NAMESPACE'],
      ]
    case 'pop3':
      return [
        ['CAPA', 'NOOP', 'QUIT'],
        [`USER ${auth.user}`, `PASS ${auth.password}`, 'STAT', 'LIST', 'UIDL', 'TOP 1 5', 'RETR 1', 'DELE 1', 'RSET', 'QUIT'],
        [`AUTH PLAIN ${plainIr}`, 'LIST 1', 'UIDL 1', 'NOOP', 'QUIT'],
        ['AUTH LOGIN', Buffer.from(auth.user).toString('base64'), Buffer.from(auth.password).toString('base64'), 'STAT'],
      ]
    case 'smtp':
      return [
        ['EHLO fuzz.example.net', 'MAIL FROM:<fuzz@example.net> SIZE=100 BODY=8BITMIME', 'RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test', 'DATA', MESSAGE + '.', 'QUIT'],
        ['HELO fuzz', 'MAIL FROM:<>', 'RCPT TO:<postmaster@example.test>', 'RSET', 'VRFY alice', 'EXPN staff', 'HELP', 'NOOP'],
        ['EHLO fuzz.example.net', 'MAIL FROM:<fuzz@example.net>', 'RCPT TO:<alice@example.test>', `BDAT ${MESSAGE.length} LAST`, MESSAGE],
        ['EHLO fuzz.example.net', 'MAIL FROM:<fuzz@example.net> SMTPUTF8', 'RCPT TO:<ålice@example.test>', 'RCPT TO:<"a b"@example.test>', 'RCPT TO:<@x.example:alice@example.test>', 'DATA', '.'],
      ]
    case 'submission':
      return [
        ['EHLO fuzz.example.net', `AUTH PLAIN ${plainIr}`, `MAIL FROM:<${auth.user}>`, 'RCPT TO:<bob@example.test>', 'DATA', MESSAGE + '.', 'QUIT'],
        ['EHLO fuzz.example.net', 'AUTH LOGIN', Buffer.from(auth.user).toString('base64'), Buffer.from(auth.password).toString('base64'), 'MAIL FROM:<x@y>'],
        ['EHLO fuzz.example.net', 'STARTTLS'],
        ['EHLO fuzz.example.net', 'AUTH PLAIN', plainIr, 'MAIL FROM:<someone@elsewhere.example> AUTH=<>'],
      ]
    case 'http':
      return [
        ['GET /health HTTP/1.1', 'Host: mail.example.test', ''],
        ['GET /mail/config-v1.1.xml?emailaddress=alice%40example.test HTTP/1.1', 'Host: autoconfig.example.test', ''],
        ['POST /autodiscover/autodiscover.xml HTTP/1.1', 'Host: x', 'Content-Type: text/xml', 'Content-Length: 196', '', '<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@example.test</EMailAddress></Request></Autodiscover>'],
        ['GET /mobileconfig HTTP/1.1', 'Host: x', `Authorization: Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`, ''],
        ['GET /metrics HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked', '', '5', 'hello', '0', ''],
      ]
  }
}

const HOSTILE_TOKENS = [
  '{4294967296}', '{18446744073709551616+}', '{-1}', '{5}', '{0}', '~{3}', '"', '\\', '(', ')', '((((((((((((((((((((((((((((((((((((((((',
  '[', ']', '<', '>', '%', '*', '1:*', '4294967295:1', '0', '-1', '99999999999999999999', '*:*', '1,2,3,4,5,6,7,8,9,10,,', '$',
  '\u0000', '\u00ff\u00fe', '\ud83d\ude00', '=?utf-8?b?////?=', '&-&AAA-&Jjo-', '..', '/', 'NIL', 'BODY[1.2.3.4.5.6.7.8.9.10.11.12]',
  'BODY[HEADER.FIELDS ()]', 'BODY[]<4294967295.4294967295>', 'CHARSET', 'X'.repeat(70_000), 'A'.repeat(2_000), '\r\n', '\n', '\r',
  'Content-Length: 99999999999', 'Transfer-Encoding: chunked', 'Host:', ' ', '\t', '.\r\n', 'AUTH=<>', 'SIZE=99999999999999',
]

/** One mutated script. */
function mutate(rand: Rand, lines: string[]): string {
  const out = [...lines]
  const rounds = 1 + int(rand, 4)
  for (let r = 0; r < rounds; r++) {
    const i = int(rand, out.length)
    const line = out[i]
    switch (int(rand, 9)) {
      case 0: { // flip a byte
        const p = int(rand, Math.max(1, line.length))
        out[i] = line.slice(0, p) + String.fromCharCode(int(rand, 256)) + line.slice(p + 1)
        break
      }
      case 1: { // insert a hostile token
        const p = int(rand, line.length + 1)
        out[i] = line.slice(0, p) + pick(rand, HOSTILE_TOKENS) + line.slice(p)
        break
      }
      case 2: // duplicate a line
        out.splice(i, 0, line)
        break
      case 3: // drop a line
        if (out.length > 1) out.splice(i, 1)
        break
      case 4: // truncate
        out[i] = line.slice(0, int(rand, line.length + 1))
        break
      case 5: { // repeat a word many times (huge token lists)
        const words = line.split(' ')
        const w = pick(rand, words)
        out[i] = line + (' ' + w).repeat(1 + int(rand, 3000))
        break
      }
      case 6: // random bytes appended
        out[i] = line + randomBytes(rand, 1 + int(rand, 300))
        break
      case 7: // swap two lines (commands out of state)
        { const j = int(rand, out.length); [out[i], out[j]] = [out[j], line] }
        break
      case 8: // strip CR or LF endings later: mark with a sentinel
        out[i] = line + pick(rand, ['\n', '\r', '\r\r\n', ''])
        break
    }
  }
  return out.join('\r\n') + '\r\n'
}

function randomBytes(rand: Rand, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(int(rand, 256))
  return s
}

/** One case's input: a mutated valid script, pure random bytes, or a valid script (keeps state paths hot). */
export function fuzzCase(rand: Rand, target: FuzzTarget, auth: FuzzOptions['credentials']): string {
  const scripts = corpus(target, auth)
  const roll = rand()
  if (roll < 0.1) return randomBytes(rand, 1 + int(rand, 2000))
  if (roll < 0.2) return pick(rand, scripts).join('\r\n') + '\r\n'
  return mutate(rand, pick(rand, scripts))
}

/** Replies that admit an internal error: a bug even when the input was garbage. */
const SERVER_BUG: Record<FuzzTarget, RegExp> = {
  imap: /\[SERVERBUG\]/,
  pop3: /^-ERR.*(internal|server error|SYS\/PERM)/im,
  smtp: /^451[ -]4\.3\.0/m,
  submission: /^451[ -]4\.3\.0/m,
  http: /^HTTP\/1\.[01] 5\d\d/m,
}

function open(port: number, tls: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tls
      ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connectTcp({ host: '127.0.0.1', port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('connect timed out'))
    }, CONNECT_TIMEOUT_MS)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/**
 * A connection reused for a few cases (smtp-server holds its greeting ~100 ms to catch early
 * talkers, so a fresh connection per case would spend the run waiting); reopened when the server
 * hangs up.
 */
class FuzzConnection {
  #socket: Socket | null = null
  #received = ''
  #wake: (() => void) | null = null
  #closed = false
  uses = 0

  async open(port: number, tls: boolean, greets: boolean): Promise<void> {
    const socket = await open(port, tls)
    this.#socket = socket
    this.#received = ''
    this.#closed = false
    this.uses = 0
    socket.on('data', (chunk: Buffer) => {
      if (this.#received.length < 1_000_000) this.#received += chunk.toString('latin1')
      this.#wake?.()
    })
    socket.on('error', () => {})
    socket.once('close', () => {
      this.#closed = true
      this.#wake?.()
    })
    // Talk after the greeting: SMTP hangs up on early talkers.
    if (greets) await this.#settle()
    this.#received = ''
  }

  get usable(): boolean {
    return this.#socket !== null && !this.#closed
  }

  /** Sends one case and returns what came back until the server went quiet, closed, or the window ended. */
  async send(input: string): Promise<string> {
    this.uses++
    this.#received = ''
    // Latin-1 so every code unit below 256 goes out as exactly that byte.
    this.#socket!.write(Buffer.from(input, 'latin1'))
    await this.#settle()
    return this.#received
  }

  #settle(): Promise<void> {
    return new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined
      const finish = () => {
        clearTimeout(window)
        clearTimeout(quiet)
        this.#wake = null
        resolve()
      }
      const window = setTimeout(finish, READ_WINDOW_MS)
      this.#wake = () => {
        if (this.#closed) return finish()
        clearTimeout(quiet)
        quiet = setTimeout(finish, QUIET_MS)
      }
      if (this.#closed) finish()
    })
  }

  close(): void {
    this.#socket?.destroy()
    this.#socket = null
  }
}

/** Concurrent clients per target. */
const WORKERS = 3
/** Cases sent over one connection before a fresh one is opened. */
const CASES_PER_CONNECTION = 4

/** One client's loop against one target until the deadline; a case replays from (seed, caseNo). */
async function worker(options: FuzzOptions, target: FuzzTarget, seed: number, deadline: number, report: FuzzReport): Promise<void> {
  const rand = prng(seed)
  let caseNo = 0
  const connection = new FuzzConnection()
  while (Date.now() < deadline && !report.down.includes(target)) {
    caseNo++
    const input = fuzzCase(rand, target, options.credentials)
    if (!connection.usable || connection.uses >= CASES_PER_CONNECTION) {
      connection.close()
      const tlsPort = options.tlsPorts?.[target]
      const useTls = tlsPort !== undefined && rand() < 0.3
      try {
        await connection.open(useTls ? tlsPort : options.ports[target], useTls, target !== 'http')
      } catch {
        report.down.push(target)
        break
      }
    }
    const reply = await connection.send(input)
    report.cases[target]++
    report.bytesSent[target] += input.length
    const bug = SERVER_BUG[target].exec(reply)
    if (bug && report.findings.length < 50) {
      const longestLine = Math.max(...input.split(/\r?\n/).map((l) => l.length))
      report.findings.push({ target, seed, caseNo, reply: reply.slice(Math.max(0, bug.index - 100), bug.index + 200), input: input.slice(0, 600), longestLine })
    }
  }
  connection.close()
}

export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    cases: { smtp: 0, submission: 0, imap: 0, pop3: 0, http: 0 },
    bytesSent: { smtp: 0, submission: 0, imap: 0, pop3: 0, http: 0 },
    findings: [],
    down: [],
  }
  for (const [index, target] of FUZZ_TARGETS.entries()) {
    const deadline = Date.now() + options.msPerTarget
    // A few concurrent clients: mostly waiting on replies, they cost little CPU and cover more.
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(options, target, options.seed * 31 + index * 7 + w, deadline, report)))
  }
  return report
}

// Long run: `node test/fuzz/socket-fuzz.ts` starts its own server.
if (import.meta.main) {
  const { startTestServer } = await import('../support/start-server.ts')
  const server = await startTestServer()
  const user = 'fuzz@example.test'
  const password = 'fuzz-pass-Q1'
  await server.addUser(user, password)
  const total = Number(process.env.TIDINGS_FUZZ_MS ?? 300_000)
  const seed = Number(process.env.TIDINGS_FUZZ_SEED ?? Date.now() % 100_000)
  const ports = {
    smtp: server.ports['listen.smtp'], submission: server.ports['listen.submission'], imap: server.ports['listen.imap'],
    pop3: server.ports['listen.pop3'], http: server.ports['listen.http'],
  }
  const tlsPorts = { submission: server.ports['listen.submissions'], imap: server.ports['listen.imaps'], pop3: server.ports['listen.pop3s'] }
  console.log(`fuzzing seed ${seed} for ${total} ms`)
  const report = await fuzz({ seed, msPerTarget: total / FUZZ_TARGETS.length, ports, tlsPorts, credentials: { user, password } })
  console.log(JSON.stringify(report, null, 1))
  await server.stop()
  process.exitCode = report.down.length || report.findings.length ? 1 : 0
}

/**
 * The short fuzz run of npm test (~1 s per listener, seeded): afterwards every listener is up, a
 * normal login works on each protocol, no reply admitted an internal error, and the heap is back
 * near its baseline. `npm run test:fuzz` (or TIDINGS_FUZZ_MS=…) runs longer;
 * TIDINGS_FUZZ_SEED replays a run.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { connect as connectTls } from 'node:tls'
import { connect as connectTcp } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestServer, type TestServer } from '../support/start-server.ts'
import { fuzz, FUZZ_TARGETS, type Finding, type FuzzReport } from './socket-fuzz.ts'
import { RawSmtp } from '../interop/smtp/raw-smtp.ts'

const FUZZ_MS = Number(process.env.TIDINGS_FUZZ_MS ?? 5_000)
const SEED = Number(process.env.TIDINGS_FUZZ_SEED ?? 20261123)
/** Generous: the heap may keep caches (blob cache, prepared statements), but not grow with the input. */
const HEAP_SLACK_BYTES = 48 * 1024 * 1024
const USER = 'fuzz@example.test'
const PASSWORD = 'fuzz-pass-Q1'
const CHECKER = 'checker@example.test'
const CHECKER_PASSWORD = 'checker-pass-R2'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Findings reported and not fixed yet are listed here (none now); they print but don't fail. */
function known(_f: Finding): boolean {
  return false
}

let server: TestServer
let report: FuzzReport
let baseline = 0

function heap(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * One exchange over implicit TLS from 127.0.0.2: the fuzzer's wrong passwords may have throttled
 * 127.0.0.1 (by design: REMOTE_POLICY), and that is not what this check is about.
 */
function talk(port: number, lines: string[], until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ socket: connectTcp({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }), rejectUnauthorized: false })
    let received = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no ${until} within 10 s: ${received}`))
    }, 10_000)
    let sent = false
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8')
      // After the greeting (SMTP refuses early talkers, RFC 5321 4.3.1 allows it to).
      if (!sent) {
        sent = true
        socket.write(lines.map((l) => l + '\r\n').join(''))
      }
      if (until.test(received)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(received)
      }
    })
    socket.on('error', reject)
  })
}

before(async () => {
  server = await startTestServer()
  await server.addUser(USER, PASSWORD)
  await server.addUser(CHECKER, CHECKER_PASSWORD)
  baseline = heap()
})

after(async () => {
  await server?.stop()
})

test(`fuzzing every listener for ${FUZZ_MS} ms (seed ${SEED}) finds no crash, hang or internal error`, async () => {
  const p = server.ports
  report = await fuzz({
    seed: SEED,
    msPerTarget: FUZZ_MS / FUZZ_TARGETS.length,
    ports: { smtp: p['listen.smtp'], submission: p['listen.submission'], imap: p['listen.imap'], pop3: p['listen.pop3'], http: p['listen.http'] },
    tlsPorts: { submission: p['listen.submissions'], imap: p['listen.imaps'], pop3: p['listen.pop3s'] },
    credentials: { user: USER, password: PASSWORD },
  })
  console.log(`# fuzz cases: ${JSON.stringify(report.cases)} bytes: ${JSON.stringify(report.bytesSent)}`)
  for (const f of report.findings) console.log(`# finding ${f.target} seed ${f.seed} case ${f.caseNo}${known(f) ? ' (known)' : ''}: ${JSON.stringify(f.reply)} <- ${JSON.stringify(f.input.slice(0, 200))}`)
  assert.deepEqual(report.down, [], 'a listener stopped accepting connections')
  for (const target of FUZZ_TARGETS) assert.ok(report.cases[target] > 0, `no case ran against ${target}`)
  assert.deepEqual(report.findings.filter((f) => !known(f)), [], 'replies admitting an internal error')
})

test('after the fuzz run a normal login works on IMAP, POP3 and SMTP submission, the MX takes a message, and HTTP answers', async () => {
  const p = server.ports
  assert.match(await talk(p['listen.imaps'], [`a LOGIN "${CHECKER}" "${CHECKER_PASSWORD}"`, 'b SELECT INBOX'], /^b (OK|NO|BAD)/m), /^b OK/m)
  assert.match(await talk(p['listen.pop3s'], [`USER ${CHECKER}`, `PASS ${CHECKER_PASSWORD}`, 'STAT'], /(\+OK|-ERR)[^\n]*\r\n(\+OK|-ERR)[^\n]*\r\n(\+OK|-ERR)[^\n]*\r\n(\+OK|-ERR)/), /\+OK \d+ \d+/)
  const ir = Buffer.from(`\0${CHECKER}\0${CHECKER_PASSWORD}`).toString('base64')
  assert.match(await talk(p['listen.submissions'], ['EHLO checker', `AUTH PLAIN ${ir}`], /^(235|5\d\d|4\d\d) /m), /^235 /m)
  // The MX from the fuzzer's own address: no slot was leaked by the fuzz connections.
  const mx = await RawSmtp.open(p['listen.smtp'])
  try {
    for (const [line, code] of [['EHLO checker.example.net', 250], ['MAIL FROM:<x@example.net>', 250], [`RCPT TO:<${CHECKER}>`, 250], ['DATA', 354]] as const) {
      assert.equal((await mx.command(line)).code, code, line)
    }
    mx.write('Subject: after fuzz\r\n\r\nhello\r\n.\r\n')
    assert.equal((await mx.reply()).code, 250)
  } finally {
    mx.close()
  }
  const response = await fetch(`http://127.0.0.1:${p['listen.http']}/health`)
  assert.ok(response.status < 500, `/health: ${response.status}`)
})

test('after the fuzz run the heap is back near its baseline', async () => {
  await sleep(500) // closing sessions finish
  const now = heap()
  console.log(`# heap: baseline ${(baseline / 1048576).toFixed(1)} MiB, after ${(now / 1048576).toFixed(1)} MiB`)
  assert.ok(now < baseline + HEAP_SLACK_BYTES, `heap grew from ${baseline} to ${now}`)
})

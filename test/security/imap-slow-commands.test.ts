/**
 * IMAP after login: a client that trickles a command (or an APPEND literal) a byte at a time is
 * cut off at imap.command_timeout (+ the literal's size at MIN_LITERAL_BYTES_PER_SECOND), though
 * each byte resets the idle timer. IDLE is exempt: it waits for DONE as long as idle_timeout says.
 * The deadline is configured tiny so this runs in seconds; no timing is asserted, only outcomes.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { startTestServer, type TestServer } from '../support/start-server.ts'

const DRIP_EVERY_MS = 200
/** Far above the deadline: a connection still open by then was not cut off. */
const GIVE_UP_MS = 20_000

let server: TestServer

before(async () => {
  server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'], 'imap.command_timeout': '1s' } })
  await server.addUser('slow@example.test', 'slow-pass')
})

after(async () => {
  await server?.stop()
})

/** A plain client keeping everything the server said, so a test can read it after the close. */
class Raw {
  readonly socket: Socket
  received = ''
  closed = false
  #waiters: Array<() => void> = []

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => { this.received += chunk.toString('latin1'); this.#wake() })
    socket.on('close', () => { this.closed = true; this.#wake() })
    socket.on('error', () => {})
  }

  static async loggedIn(): Promise<Raw> {
    const socket = connect({ port: server.ports['listen.imap'], host: '127.0.0.1' })
    const raw = new Raw(socket)
    await raw.until(/^\* OK/m)
    socket.write('a LOGIN slow@example.test slow-pass\r\nb SELECT INBOX\r\n')
    await raw.until(/^b OK/m)
    return raw
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }

  /** Waits until what was received matches (or the connection closed). */
  async until(pattern: RegExp, ms = GIVE_UP_MS): Promise<void> {
    const end = Date.now() + ms
    while (!pattern.test(this.received) && !this.closed && Date.now() < end) {
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }

  /** Sends `text` a byte at a time; stops when the server hangs up. Returns the bytes sent. */
  async drip(text: string): Promise<number> {
    let sent = 0
    for (const byte of text) {
      if (this.closed) break
      this.socket.write(byte)
      sent++
      await sleep(DRIP_EVERY_MS)
    }
    return sent
  }
}

test('a command line trickled a byte at a time is cut off with BYE', async () => {
  const raw = await Raw.loggedIn()
  const line = 'c NOOP ' + 'x'.repeat(GIVE_UP_MS / DRIP_EVERY_MS) + '\r\n'
  const sent = await raw.drip(line)
  await raw.until(/never/, 3000)
  assert.ok(raw.closed, 'connection still open after the whole trickled line')
  assert.ok(sent < line.length, 'the server waited for the whole line')
  assert.match(raw.received, /^\* BYE .*[Tt]imeout/m)
  assert.doesNotMatch(raw.received, /^c /m, 'the trickled command must not run')
})

test('an APPEND literal trickled a byte at a time is cut off with BYE', async () => {
  const raw = await Raw.loggedIn()
  const body = 'Subject: slow\r\n\r\n' + 'y'.repeat(200)
  raw.socket.write(`d APPEND INBOX {${body.length}}\r\n`)
  await raw.until(/^\+ /m)
  const sent = await raw.drip(body + '\r\n')
  await raw.until(/never/, 3000)
  assert.ok(raw.closed, 'connection still open after the whole trickled literal')
  assert.ok(sent < body.length, 'the server waited for the whole literal')
  assert.match(raw.received, /^\* BYE .*[Tt]imeout/m)
})

test('commands at normal speed, and pauses between commands, are not cut off', async () => {
  const raw = await Raw.loggedIn()
  for (let i = 0; i < 3; i++) {
    await sleep(700)
    raw.socket.write(`n${i} NOOP\r\n`)
    await raw.until(new RegExp(`^n${i} OK`, 'm'))
  }
  // A literal gets its transfer time at the minimum rate: sent in two halves with a pause, fine.
  const body = 'Subject: two halves\r\n\r\n' + 'z'.repeat(2000)
  raw.socket.write(`e APPEND INBOX {${body.length}+}\r\n${body.slice(0, 1000)}`)
  await sleep(500)
  raw.socket.write(`${body.slice(1000)}\r\n`)
  await raw.until(/^e OK/m)
  assert.ok(!raw.closed)
  assert.match(raw.received, /^e OK \[APPENDUID/m)
  raw.socket.destroy()
})

test('IDLE is exempt: DONE after longer than the command deadline ends it normally', async () => {
  const raw = await Raw.loggedIn()
  raw.socket.write('f IDLE\r\n')
  await raw.until(/^\+ /m)
  await sleep(2000)
  raw.socket.write('DONE\r\n')
  await raw.until(/^f OK/m)
  assert.ok(!raw.closed)
  assert.match(raw.received, /^f OK/m)
  raw.socket.destroy()
})

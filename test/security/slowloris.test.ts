/**
 * Slow clients (slowloris) on SMTP and POP3: a client that trickles a byte every 200 ms never
 * completes a line, so idle timers (reset by each byte) never fire; the per-line, DATA-rate and
 * login deadlines must. The deadlines are configured tiny here so the file runs in seconds; the
 * defaults are exercised by `npm run test:security:long` (limits.test.ts). Clients we didn't write
 * (nodemailer, smtplib, poplib) show that normal-speed clients are not affected.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as connectTcp, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import nodemailer from 'nodemailer'
import { RawSmtp } from '../interop/smtp/raw-smtp.ts'
import { MAX_JUNK_COMMANDS } from '../../src/transport/smtp/junk-commands.ts'
import { python, sampleMessage } from '../interop/pop3/fixture.ts'
import { ALICE, BOB, BOB_PASSWORD, message, pop3, pop3Command, startSecurityServer, type SecurityServer } from './fixture.ts'

const DRIP_EVERY_MS = 200
/** Far above every deadline below: a connection still open by then was not cut off. */
const GIVE_UP_MS = 20_000

const CONFIG = {
  'smtp.command_timeout': '1.5s',
  'smtp.data_timeout': '2s',
  'smtp.data_min_rate': 1000,
  'smtp.login_timeout': '5s',
  'pop3.command_timeout': '1.5s',
  'pop3.login_timeout': '4s',
}

let s: SecurityServer

before(async () => {
  s = await startSecurityServer(CONFIG)
})

after(async () => {
  await s?.stop()
})

/** A plain TCP client collecting what the server says, so a test can read it after the close. */
class Raw {
  readonly socket: Socket
  received = ''
  closed = false
  readonly #waiters: Array<() => void> = []

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1')
      this.#wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.#wake()
    })
    socket.on('error', () => {})
  }

  static async open(port: number): Promise<Raw> {
    const socket = connectTcp({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new Raw(socket)
  }

  /** Waits until the server has said something matching `pattern` (or closed). */
  async until(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + GIVE_UP_MS
    while (!pattern.test(this.received) && !this.closed && Date.now() < deadline) {
      await Promise.race([new Promise<void>((resolve) => this.#waiters.push(resolve)), sleep(200)])
    }
    assert.match(this.received, pattern)
  }

  /** Sends `text` one byte every DRIP_EVERY_MS, over and over, until the server closes. */
  async drip(text: string): Promise<void> {
    const deadline = Date.now() + GIVE_UP_MS
    for (let i = 0; !this.closed && Date.now() < deadline; i++) {
      this.socket.write(text[i % text.length])
      await sleep(DRIP_EVERY_MS)
    }
    this.socket.destroy()
    assert.ok(this.closed, `still open after ${GIVE_UP_MS} ms of dripping; the server said: ${this.received}`)
  }

  /** Sends a whole line every `everyMs` until the server closes. */
  async repeat(line: string, everyMs: number): Promise<void> {
    const deadline = Date.now() + GIVE_UP_MS
    while (!this.closed && Date.now() < deadline) {
      this.socket.write(line)
      await sleep(everyMs)
    }
    this.socket.destroy()
    assert.ok(this.closed, `still open after ${GIVE_UP_MS} ms; the server said: ${this.received}`)
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

describe('slow clients are cut off', { concurrency: true }, () => {
  test('SMTP: a command line dripped a byte at a time gets 421 4.4.2 and the connection closes', async () => {
    const client = await Raw.open(s.port('listen.smtp'))
    await client.until(/^220 /)
    await client.drip('EHLO slow.example.test')
    assert.match(client.received, /\r\n421 4\.4\.2 \S+ Timeout: command line not completed within 1\.5 s/)
  })

  test('SMTP: the command-line deadline still holds after STARTTLS (a new parser)', async () => {
    const client = await RawSmtp.open(s.port('listen.smtp'))
    await client.command('EHLO tls.example.test')
    assert.equal((await client.command('STARTTLS')).code, 220)
    await client.upgrade()
    const deadline = Date.now() + GIVE_UP_MS
    for (let i = 0; !client.closed && Date.now() < deadline; i++) {
      client.write('EHLO slow.example.test'[i % 22])
      await sleep(DRIP_EVERY_MS)
    }
    client.close()
    assert.ok(client.closed || /^421 4\.4\.2 /m.test(client.pending()), 'still open after STARTTLS dripping')
    assert.match(client.pending(), /^421 4\.4\.2 .*command line/m)
  })

  test('SMTP: a message dripped during DATA gets 421 4.4.2 (minimum data rate)', async () => {
    const client = await RawSmtp.open(s.port('listen.smtp'))
    try {
      assert.equal((await client.command('EHLO slow.example.test')).code, 250)
      assert.equal((await client.command('MAIL FROM:<slow@example.net>')).code, 250)
      assert.equal((await client.command(`RCPT TO:<${ALICE}>`)).code, 250)
      assert.equal((await client.command('DATA')).code, 354)
      const body = 'Subject: slow\r\n\r\n' + 'x'.repeat(1000)
      const deadline = Date.now() + GIVE_UP_MS
      for (let i = 0; !client.closed && Date.now() < deadline; i++) {
        client.write(body[i % body.length])
        await sleep(DRIP_EVERY_MS)
      }
      assert.ok(client.closed, `still open after ${GIVE_UP_MS} ms of dripping DATA`)
      const reply = await client.reply()
      assert.equal(reply.code, 421, `after dripping DATA: ${reply.text}`)
      assert.match(reply.text, /^421 4\.4\.2 .*slower than 1000 bytes\/s/)
    } finally {
      client.close()
    }
  })

  test('SMTP: a client that never gets to MAIL FROM is cut off at smtp.login_timeout, complete lines or not', async () => {
    const client = await Raw.open(s.port('listen.smtp'))
    await client.until(/^220 /)
    client.socket.write('EHLO idle.example.test\r\n')
    await client.repeat('NOOP\r\n', 300)
    assert.match(client.received, /\r\n421 4\.4\.2 \S+ Timeout: no AUTH or MAIL FROM within 5 s/)
  })

  test('POP3: a command line dripped a byte at a time gets -ERR and the connection closes', async () => {
    const client = await Raw.open(s.port('listen.pop3'))
    await client.until(/^\+OK /)
    await client.drip('USER slowloris')
    assert.match(client.received, /\r\n-ERR Timeout: command line not completed within 1\.5 s\r\n/)
  })

  test('POP3: a client that never logs in is cut off at pop3.login_timeout, complete lines or not', async () => {
    const client = await Raw.open(s.port('listen.pop3'))
    await client.until(/^\+OK /)
    await client.repeat('NOOP\r\n', 300) // -ERR in AUTHORIZATION, but each line is quick
    assert.match(client.received, /\r\n-ERR Timeout: not logged in within 4 s\r\n/)
  })
})

describe('normal clients are not affected', { concurrency: true }, () => {
  test('SMTP: a command line sent in pieces within the deadline, and DATA at a steady rate for longer than smtp.data_timeout, are accepted', async () => {
    const client = await RawSmtp.open(s.port('listen.smtp'))
    try {
      client.write('EHLO pie')
      await sleep(300)
      assert.equal((await client.command('ces.example.test')).code, 250)
      assert.equal((await client.command('MAIL FROM:<steady@example.net>')).code, 250)
      assert.equal((await client.command(`RCPT TO:<${ALICE}>`)).code, 250)
      assert.equal((await client.command('DATA')).code, 354)
      client.write('Subject: steady\r\n\r\n')
      // 3 s at ~20 KB/s: longer than the 2 s DATA allowance, far above 1000 bytes/s.
      const line = 'y'.repeat(998) + '\r\n'
      for (let i = 0; i < 30; i++) {
        client.write(line.repeat(2))
        await sleep(100)
      }
      assert.equal((await client.command('.')).code, 250)
      assert.equal((await client.command('QUIT')).code, 221)
    } finally {
      client.close()
    }
  })

  test('SMTP: time the server spends in a slow hook is not charged to the client\'s next, pipelined line', async () => {
    // A directory lookup slower than smtp.command_timeout (1.5 s), for this one address only.
    const directory = s.server.ctx.directory
    const resolve = directory.resolve.bind(directory)
    directory.resolve = async (address) => {
      if (address.startsWith('slowlookup@')) await sleep(2500)
      return resolve(address)
    }
    const client = await RawSmtp.open(s.port('listen.smtp'))
    try {
      assert.equal((await client.command('EHLO hook.example.test')).code, 250)
      assert.equal((await client.command('MAIL FROM:<hook@example.net>')).code, 250)
      // "NO" of the next line arrives with the RCPT and waits in the parser while the hook runs.
      client.write('RCPT TO:<slowlookup@example.test>\r\nNO')
      const rcpt = await client.reply()
      assert.notEqual(rcpt.code, 421, rcpt.text)
      client.write('OP\r\n')
      assert.equal((await client.reply()).code, 250)
    } finally {
      client.close()
      directory.resolve = resolve
    }
  })

  test('SMTP: nodemailer and Python smtplib deliver as usual', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.port('listen.smtp'), secure: false, tls: { rejectUnauthorized: false } })
    try {
      const info = await transport.sendMail({ from: 'nm@example.net', to: ALICE, subject: 'normal speed', text: 'x'.repeat(200_000) })
      assert.match(String(info.response), /^250 /)
    } finally {
      transport.close()
    }
    const raw = message({ from: 'py@example.net', to: ALICE, subject: 'smtplib' })
    const out = await python<{ reply: number }>(`
import json, os, smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(os.environ['PORT']))
s.starttls(context=ctx)
s.ehlo()
refused = s.sendmail('py@example.net', [os.environ['RCPT']], os.environ['RAW'].encode())
print(json.dumps({'reply': len(refused)}))
s.quit()
`, { PORT: s.port('listen.smtp'), RCPT: ALICE, RAW: raw })
    assert.equal(out.reply, 0)
  })

  test('POP3: poplib logs in, lists and retrieves as usual; a logged-in session outlives pop3.login_timeout', async () => {
    // Bob: the SMTP tests running alongside deliver to Alice.
    const bob = await s.server.ctx.directory.resolve(BOB)
    if (bob.kind !== 'mailbox') throw new Error(`${BOB} resolves to ${bob.kind}`)
    await s.server.ctx.store.emails.deliver([bob.principal.id], { raw: sampleMessage('poplib normal') })
    const out = await python<{ stat: number[]; retr: string[] }>(`
import json, os, poplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(os.environ['PORT']), context=ctx)
p.user(os.environ['USER_NAME'])
p.pass_(os.environ['PASSWORD'])
stat = list(p.stat())
retr = [l.decode('latin1') for l in p.retr(stat[0])[1]]
p.quit()
print(json.dumps({'stat': stat, 'retr': retr}))
`, { PORT: s.port('listen.pop3s'), USER_NAME: BOB, PASSWORD: BOB_PASSWORD })
    assert.ok(out.stat[0] >= 1)
    assert.ok(out.retr.includes('Subject: poplib normal'))
    const client = await pop3(s.port('listen.pop3s'), BOB, BOB_PASSWORD)
    try {
      await sleep(4500) // past pop3.login_timeout (4 s): only sessions that never logged in go
      assert.match(await pop3Command(client, 'STAT'), /^\+OK /)
    } finally {
      client.close()
    }
  })
})

describe('slot squatting with quick commands', { concurrency: true }, () => {
  test(`SMTP: more than ${MAX_JUNK_COMMANDS} NOOP/RSET/VRFY… between two messages get 421 4.7.0; a delivered message resets the count`, async () => {
    const client = await RawSmtp.open(s.port('listen.smtp'))
    try {
      assert.equal((await client.command('EHLO squat.example.test')).code, 250)
      assert.equal((await client.command('MAIL FROM:<>')).code, 250) // past the login deadline
      const noops = async (n: number) => {
        client.write('NOOP\r\n'.repeat(n))
        const codes = []
        for (let i = 0; i < n; i++) codes.push((await client.reply()).code)
        return codes
      }
      assert.deepEqual(new Set(await noops(MAX_JUNK_COMMANDS - 10)), new Set([250]))
      assert.equal((await client.command(`RCPT TO:<${ALICE}>`)).code, 250)
      assert.equal((await client.command('DATA')).code, 354)
      assert.equal((await client.command(message({ from: 'squat@example.net', to: ALICE, subject: 'squat' }) + '.')).code, 250)
      // A new count: the 91 EHLO/NOOPs before the message no longer count.
      assert.deepEqual(new Set(await noops(MAX_JUNK_COMMANDS - 1)), new Set([250]))
      assert.equal((await client.command('RSET')).code, 250)
      const last = await client.command('VRFY postmaster')
      assert.equal(last.code, 421, last.text)
      assert.match(last.text, /^421 4\.7\.0 .*Too many commands without mail/)
      await client.waitClosed()
    } finally {
      client.close()
    }
  })
})

/**
 * Storage faults: the data dir on a small tmpfs, filled to the last byte. A delivery (SMTP MX) and
 * an APPEND (IMAP) must then fail temporarily (4xx / NO) and never be acknowledged, what was stored
 * before stays intact, the server stays up, and once space returns both work again and the store
 * verifies clean. Needs root (mount); skipped with the reason otherwise.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestServer, type TestServer } from '../support/start-server.ts'
import { LineClient } from '../support/line-client.ts'
import { RawSmtp } from '../interop/smtp/raw-smtp.ts'

const USER = 'alice@example.test'
const PASSWORD = 'alice-enospc-pass-1'

let mountPoint = ''
let mounted = false
let skipReason: string | false = false
let server: TestServer | undefined

before(async () => {
  mountPoint = mkdtempSync(join(tmpdir(), 'tidings-enospc-'))
  if (process.getuid?.() !== 0) {
    skipReason = 'not root: cannot mount a small tmpfs'
  } else {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' })
      mounted = true
    } catch (error) {
      skipReason = `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`
    }
  }
  if (skipReason) {
    console.log(`# skipping storage-fault tests: ${skipReason}`)
    return
  }
  server = await startTestServer({ dataDir: join(mountPoint, 'data'), config: { trusted_networks: ['127.0.0.0/8'] } })
  await server.addUser(USER, PASSWORD)
})

after(async () => {
  await server?.stop()
  if (mounted) execFileSync('umount', ['-l', mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

/** Fills the file system: big writes, then single bytes, until ENOSPC. Returns the filler path. */
function fill(): string {
  const path = join(mountPoint, 'filler')
  const fd = openSync(path, 'w')
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x55)
      for (;;) {
        try {
          writeSync(fd, chunk)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break
          throw error
        }
      }
    }
  } finally {
    closeSync(fd)
  }
  return path
}

function message(id: string, size = 20_000): string {
  return `Message-ID: <${id}>\r\nFrom: <x@remote.test>\r\nSubject: ${id}\r\n\r\n${('body of ' + id + ' ').repeat(Math.ceil(size / 20)).replace(/(.{70})/g, '$1\r\n')}\r\n`
}

async function deliver(id: string): Promise<string> {
  const smtp = await RawSmtp.open(server!.ports['listen.smtp'])
  try {
    await smtp.command('EHLO remote.test')
    for (const line of ['MAIL FROM:<x@remote.test>', `RCPT TO:<${USER}>`]) {
      const reply = await smtp.command(line)
      if (reply.code >= 400) return reply.text
    }
    const data = await smtp.command('DATA')
    if (data.code !== 354) return data.text
    smtp.write(message(id) + '.\r\n')
    return (await smtp.reply()).text
  } finally {
    smtp.close()
  }
}

async function imap(): Promise<LineClient> {
  const client = await LineClient.connect(server!.ports['listen.imap'])
  await client.readLine()
  await client.expectTagged('L', `LOGIN "${USER}" "${PASSWORD}"`)
  return client
}

async function append(client: LineClient, id: string): Promise<string> {
  const raw = message(id)
  return (await client.command('A', Buffer.from(`APPEND INBOX {${Buffer.byteLength(raw)}+}\r\n${raw}`))).tagged
}

/** Message-IDs in the Inbox, in UID order. */
async function inbox(client: LineClient): Promise<string[]> {
  await client.expectTagged('E', 'EXAMINE INBOX')
  const lines = await client.expectTagged('F', 'UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
  return lines.map((l) => /Message-ID: <([^>]+)>/i.exec(l)?.[1]).filter((x): x is string => !!x)
}

async function waitForInbox(client: LineClient, id: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await inbox(client)).includes(id)) {
    if (Date.now() > deadline) throw new Error(`${id} not delivered within 15 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

test('a full disk makes delivery and APPEND fail temporarily; nothing acknowledged is lost; space back, all works', async (t) => {
  if (skipReason) return t.skip(skipReason)
  const client = await imap()
  try {
    assert.equal((await deliver('before-1@enospc.test')).slice(0, 3), '250')
    await waitForInbox(client, 'before-1@enospc.test')
    assert.match(await append(client, 'before-2@enospc.test'), /^A OK/)
    const before = await inbox(client)

    const filler = fill()
    const smtpReply = await deliver('full-1@enospc.test')
    assert.match(smtpReply, /^4\d\d/, 'delivery on a full disk must be a temporary failure')
    const appendReply = await append(client, 'full-2@enospc.test')
    assert.match(appendReply, /^A NO/, 'APPEND on a full disk must be NO')
    // The session and the server are still usable, and what was there is intact.
    assert.deepEqual(await inbox(client), before)

    unlinkSync(filler)
    assert.equal((await deliver('after-1@enospc.test')).slice(0, 3), '250', 'delivery works again once space returns')
    assert.match(await append(client, 'after-2@enospc.test'), /^A OK/, 'APPEND works again once space returns')
    await waitForInbox(client, 'after-1@enospc.test')
    const now = await inbox(client)
    for (const id of before) assert.ok(now.includes(id), `${id} lost`)
    assert.ok(!now.includes('full-2@enospc.test'), 'a refused APPEND must not appear later')
    assert.equal(now.filter((id) => id === 'after-2@enospc.test').length, 1)
    const report = await server!.ctx.store.verify()
    assert.deepEqual({ mismatched: report.mismatched, missing: report.missing, badRefs: report.badRefs }, { mismatched: [], missing: [], badRefs: [] })
  } finally {
    client.close()
  }
})

test('on a full disk, delivery answers 452 4.3.1 (RFC 3463: mail system full) and APPEND a NO that is not [SERVERBUG]', async (t) => {
  if (skipReason) return t.skip(skipReason)
  const filler = fill()
  const client = await imap()
  try {
    assert.match(await deliver('full-3@enospc.test'), /^452[ -]4\.3\.1/)
    assert.doesNotMatch(await append(client, 'full-4@enospc.test'), /SERVERBUG/)
  } finally {
    client.close()
    unlinkSync(filler)
  }
})

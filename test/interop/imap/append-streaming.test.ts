/**
 * APPEND literals stream to a temp file while they arrive (issue #6): N clients in the middle of
 * a few-MiB APPEND each must not make the server hold N × the message size. Measured in-process
 * (the server runs in this process): ArrayBuffer memory, where Buffers live, while every client
 * has sent all but the end of its literal. Then every message must be stored intact (SHA-256), the
 * temp files gone, and a MULTIAPPEND that fails half-way must store nothing (RFC 3502).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { startTestServer } from '../../support/start-server.ts'
import { LineClient } from '../../support/line-client.ts'

const CLIENTS = 8
const SIZE = 4 * 1024 * 1024
const CHUNK = 256 * 1024

function bigMessage(n: number): Buffer {
  const head = Buffer.from(`From: big@example.test\r\nTo: big@example.test\r\nSubject: big ${n}\r\nMessage-ID: <big.${n}@example.test>\r\n\r\n`)
  const line = Buffer.from(`${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)} ${n}\r\n`)
  const out = Buffer.alloc(SIZE)
  head.copy(out)
  for (let at = head.length; at < SIZE; at += line.length) line.copy(out, at)
  out.write('\r\n', SIZE - 2)
  return out
}

// Live memory, not garbage not yet collected: full collections before each reading, and the
// least of a few readings (V8 frees ArrayBuffer backing stores on a background sweeper).
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function liveArrayBuffers(): Promise<number> {
  let least = Infinity
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(50)
    least = Math.min(least, process.memoryUsage().arrayBuffers)
  }
  return least
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

test(`${CLIENTS} concurrent slow APPENDs of ${SIZE / 1024 / 1024} MiB: memory does not grow by clients × size; every message intact`, async (t) => {
  const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  const clients: LineClient[] = []
  try {
    const user = await server.addUser('big@example.test', 'big-pass')
    const messages = Array.from({ length: CLIENTS }, (_, i) => bigMessage(i))
    for (let i = 0; i < CLIENTS; i++) {
      const c = await LineClient.connect(server.ports['listen.imap'])
      await c.readLine()
      await c.expectTagged('a', 'LOGIN big@example.test big-pass')
      clients.push(c)
    }
    const before = await liveArrayBuffers()
    // Everyone starts an APPEND and sends all but the last chunk, a chunk at a time.
    await Promise.all(clients.map(async (c, i) => {
      c.send(`b APPEND INBOX {${SIZE}}\r\n`)
      assert.match(await c.readLine(), /^\+ /)
      for (let at = 0; at < SIZE - CHUNK; at += CHUNK) {
        c.send(messages[i].subarray(at, at + CHUNK))
        await sleep(5)
      }
    }))
    await sleep(500) // the server reads what was sent
    const during = (await liveArrayBuffers()) - before
    t.diagnostic(`ArrayBuffer growth with ${CLIENTS} × ${SIZE / 1048576} MiB APPENDs in flight: ${(during / 1048576).toFixed(1)} MiB`)
    assert.ok(during < (CLIENTS * SIZE) / 2, `ArrayBuffer memory grew by ${(during / 1048576).toFixed(1)} MiB with ${CLIENTS} APPENDs of ${SIZE / 1048576} MiB in flight`)
    const done = await Promise.all(clients.map(async (c, i) => {
      c.send(Buffer.concat([messages[i].subarray(SIZE - CHUNK), Buffer.from('\r\n')]))
      return c.readTagged('b')
    }))
    for (const r of done) assert.match(r.tagged, /^b OK \[APPENDUID \d+ \d+\]/)
    const inbox = (await server.ctx.store.folders.byRole(user.id, 'inbox'))!
    const refs = await server.ctx.store.emails.list(user.id, inbox.id)
    assert.equal(refs.length, CLIENTS)
    const infos = await server.ctx.store.emails.info(user.id, inbox.id, refs.map((r) => r.uid))
    const stored = new Set<string>()
    for (const info of infos) stored.add(sha(await server.ctx.store.emails.body(user.id, info.blobId)))
    assert.deepEqual([...stored].sort(), messages.map(sha).sort())
    const leftovers = readdirSync(join(server.dataDir, 'blobs', 'tmp')).filter((f) => f.startsWith('imap-append.'))
    assert.deepEqual(leftovers, [])
  } finally {
    for (const c of clients) c.close()
    await server.stop()
  }
})

test('MULTIAPPEND with a big (spooled) message is all or nothing: over quota half-way stores none', async () => {
  const server = await startTestServer({ config: { trusted_networks: ['127.0.0.0/8'] } })
  try {
    const user = await server.addUser('multi@example.test', 'multi-pass', { quotaBytes: SIZE + 1024 * 1024 })
    const c = await LineClient.connect(server.ports['listen.imap'])
    await c.readLine()
    await c.expectTagged('a', 'LOGIN multi@example.test multi-pass')
    const one = bigMessage(1)
    const two = bigMessage(2)
    c.send(Buffer.concat([Buffer.from(`b APPEND INBOX {${SIZE}+}\r\n`), one, Buffer.from(` {${SIZE}+}\r\n`), two, Buffer.from('\r\n')]))
    const r = await c.readTagged('b')
    assert.match(r.tagged, /^b NO /)
    const inbox = (await server.ctx.store.folders.byRole(user.id, 'inbox'))!
    assert.deepEqual(await server.ctx.store.emails.list(user.id, inbox.id), [])
    // The same pair within quota goes in whole.
    c.send(Buffer.concat([Buffer.from(`c APPEND INBOX {${SIZE / 4}+}\r\n`), one.subarray(0, SIZE / 4), Buffer.from(` {${SIZE / 4}+}\r\n`), two.subarray(0, SIZE / 4), Buffer.from('\r\n')]))
    assert.match((await c.readTagged('c')).tagged, /^c OK \[APPENDUID \d+ \d+:\d+\]/)
    assert.equal((await server.ctx.store.emails.list(user.id, inbox.id)).length, 2)
    c.close()
  } finally {
    await server.stop()
  }
})

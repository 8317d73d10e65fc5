/**
 * The durability promise of the MX: every message that got `250` survives `kill -9` and is in the
 * Inbox exactly once after a restart (the queue is replayed; local delivery is idempotent per
 * queue id). The server runs as a child process (`src/main.ts serve`); 500 messages over 10
 * connections; the kill comes at a seeded random moment. TIDINGS_TEST_CRASH_ROUNDS=N for more.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { CONFIG_KEYS, envName } from '../../src/config/schema.ts'
import { openData } from '../../src/open-data.ts'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { sql } from '../../src/db/engine.ts'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { RawSmtp } from '../interop/smtp/raw-smtp.ts'
import { seededRandom as random } from '../support/seeded-random.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const NODE = join(ROOT, 'node_modules/.bin/node')
const MESSAGES = 500
const CONNECTIONS = 10
const ROUNDS = Number(process.env.TIDINGS_TEST_CRASH_ROUNDS ?? 2)
const SEED = Number(process.env.TIDINGS_TEST_CRASH_SEED ?? 20261123)

function serverEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  for (const spec of CONFIG_KEYS) if (spec.type === 'listener') env[envName(spec)] = ''
  env.TIDINGS_LISTEN_SMTP = '127.0.0.1:0'
  env.TIDINGS_DATA_DIR = dataDir
  env.TIDINGS_HOSTNAME = 'mail.example.test'
  env.TIDINGS_LOG_LEVEL = 'info'
  return env
}

/** Starts `serve` and resolves with the child and its MX port (read from its log). */
function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(NODE, [join(ROOT, 'src/main.ts'), 'serve'], { env: serverEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolvePort, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}${err}`)), 30_000)
    child.stderr!.on('data', (c: Buffer) => { err += c })
    child.stdout!.on('data', (c: Buffer) => {
      out += c
      const m = /"service":"smtp","address":"127\.0\.0\.1:(\d+)"/.exec(out)
      if (m) {
        clearTimeout(timer)
        child.stdout!.removeAllListeners('data')
        child.stdout!.resume()
        resolvePort({ child, port: Number(m[1]) })
      }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${out}${err}`)) })
  })
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())))
}

/** One connection's share: sends its messages one by one, recording each that got 250. */
async function sendBatch(port: number, ids: readonly string[], acked: Set<string>, stop: { killed: boolean }): Promise<void> {
  let c: RawSmtp
  try {
    c = await RawSmtp.open(port)
    await c.command('EHLO crash.remote.test')
  } catch {
    return
  }
  try {
    for (const id of ids) {
      if (stop.killed) return
      if ((await c.command('MAIL FROM:<load@remote.test>')).code !== 250) return
      if ((await c.command('RCPT TO:<alice@example.test>')).code !== 250) return
      if ((await c.command('DATA')).code !== 354) return
      c.write(`Message-ID: <${id}>\r\nSubject: crash ${id}\r\n\r\nbody of ${id}\r\n.\r\n`)
      const reply = await c.reply()
      if (reply.code !== 250) return
      acked.add(id)
    }
  } finally {
    c.close()
  }
}

async function round(n: number): Promise<void> {
  const rand = random(SEED + n)
  const dataDir = mkdtempSync(join(tmpdir(), 'tidings-crash-'))
  try {
    const config = loadConfig({ env: {}, overrides: { data_dir: dataDir, log_level: 'silent' } })
    let data = await openData(config)
    await data.admin.addDomain('example.test')
    const alice = await data.admin.addUser({ address: 'alice@example.test', password: 'alice-password-1', name: 'Alice' })
    await data.store.accounts.provision(alice.id)
    await data.close()

    const { child, port } = await startChild(dataDir)
    const ids = Array.from({ length: MESSAGES }, (_, i) => `crash-${n}-${i}@remote.test`)
    const acked = new Set<string>()
    const stop = { killed: false }
    // Kill once a random share of the messages has been acknowledged (10%–90%).
    const killAt = Math.floor(MESSAGES * (0.1 + 0.8 * rand()))
    const killer = (async () => {
      while (acked.size < killAt && child.exitCode === null) await new Promise((r) => setTimeout(r, 2))
      child.kill('SIGKILL')
      stop.killed = true
    })()
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, k) => sendBatch(port, ids.filter((_, i) => i % CONNECTIONS === k), acked, stop)))
    await killer
    await exited(child)
    assert.ok(acked.size >= killAt, `killed after ${acked.size} acknowledged messages`)

    // Restart: the queue replays whatever was not yet delivered.
    const restarted = await startChild(dataDir)
    const engine = new SqliteEngine(join(dataDir, 'tidings.db'))
    try {
      const deadline = Date.now() + 60_000
      for (;;) {
        const row = await engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM queue_recipients WHERE state = 'queued'`)
        if (Number(row?.n) === 0) break
        if (Date.now() > deadline) throw new Error(`queue not drained: ${row?.n} left`)
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      await engine.close()
    }
    restarted.child.kill('SIGTERM')
    await exited(restarted.child)
    // Every delivered message's spool file is gone, and so is any the crash left unacknowledged.
    const spooled = []
    for await (const id of new FsBlobStore(join(dataDir, 'queue')).ids()) spooled.push(id)
    assert.deepEqual(spooled, [], 'the queue spool is empty once the queue is')

    data = await openData(config)
    try {
      const inbox = (await data.store.folders.byRole(alice.id, 'inbox'))!
      const refs = await data.store.emails.list(alice.id, inbox.id)
      const infos = await data.store.emails.info(alice.id, inbox.id, refs.map((r) => r.uid))
      const counts = new Map<string, number>()
      for (const info of infos) counts.set(info.messageId ?? '', (counts.get(info.messageId ?? '') ?? 0) + 1)
      const missing = [...acked].filter((id) => !counts.has(id))
      const doubled = [...counts].filter(([, c]) => c > 1).map(([id]) => id)
      assert.deepEqual(missing, [], `round ${n}: acknowledged but lost`)
      assert.deepEqual(doubled, [], `round ${n}: delivered twice`)
      assert.ok(infos.length >= acked.size)
    } finally {
      await data.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

for (let n = 0; n < ROUNDS; n++) {
  test(`SMTP kill -9, round ${n + 1} (seed ${SEED + n}): every 250-acknowledged message is in the Inbox exactly once`, async () => {
    await round(n)
  })
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { DatabaseSync } from 'node:sqlite'
import { CONFIG_KEYS, envName } from '../../src/config/schema.ts'
import { SERVICE_STARTERS } from '../../src/services.ts'
import { runCli, spawnCli } from '../support/cli.ts'

/** Every listener on 127.0.0.1 port 0 (or `address`), as an operator would set them. */
function listenerEnv(address = '127.0.0.1:0'): Record<string, string> {
  const env: Record<string, string> = { TIDINGS_HOSTNAME: 'mail.example.test', TIDINGS_LOG_LEVEL: 'info' }
  for (const spec of CONFIG_KEYS) if (spec.type === 'listener') env[envName(spec)] = address
  return env
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-serve-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `serve`, waits for the ready line, returns the child and its log lines. */
async function startServe(dataDir: string, env: Record<string, string> = listenerEnv()) {
  const child = spawnCli(['serve'], { dataDir, env })
  const lines: string[] = []
  let buffer = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      let newline
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        lines.push(line)
        if (line.includes('Tidings is ready')) resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before it was ready: ${stderr}`)))
  })
  await ready
  return { child, lines, stderr: () => stderr }
}

async function waitFor(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Plain IMAP LOGIN (allowed: loopback is a trusted network here); returns the tagged reply. */
async function imapLogin(host: string, port: number, user: string, password: string): Promise<string> {
  const socket = connect(port, host)
  socket.setEncoding('utf8')
  let buffer = ''
  const next = (pattern: RegExp) => new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(buffer)
      if (m) {
        socket.off('data', onData)
        resolve(m[0])
      }
    }
    const onData = (chunk: string) => ((buffer += chunk), check())
    socket.on('data', onData)
    socket.once('error', reject)
    check()
  })
  try {
    await next(/^\* OK.*\r\n/m)
    socket.write(`a LOGIN "${user}" "${password}"\r\n`)
    return await next(/^a (OK|NO|BAD).*$/m)
  } finally {
    socket.destroy()
  }
}

/** SIGTERM, then the exit: its code, or the signal that killed it. */
async function stop(child: ReturnType<typeof spawnCli>): Promise<number | string> {
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code, signal] = await exited
  return (code as number | null) ?? String(signal)
}

test('serve starts on an empty data dir, says how to add a user, and stops cleanly on SIGTERM', async (t) => {
  const dataDir = tempDir(t)
  const first = await startServe(dataDir)
  const logs = first.lines.map((l) => JSON.parse(l) as { msg: string })
  assert.ok(logs.some((l) => /no users yet/.test(l.msg)), 'hints at the first user')
  assert.ok(logs.some((l) => /self-signed/.test(l.msg)), 'generated a certificate')
  const status = await runCli(['status', '--json'], { dataDir })
  assert.equal(JSON.parse(status.stdout).running, true)
  const twice = await runCli(['serve'], { dataDir, env: listenerEnv() })
  assert.equal(twice.code, 1)
  assert.match(twice.stderr.trim(), /^tidings: Another Tidings server \(pid \d+\) is already running on /)
  assert.equal(await stop(first.child), 0, `${first.lines.slice(-5).join('\n')}\n${first.stderr()}`)
  const cert = join(dataDir, 'tls', 'self-signed.crt')
  const pem = readFileSync(cert, 'utf8')
  assert.match(pem, /BEGIN CERTIFICATE/)
  assert.ok(statSync(join(dataDir, 'tidings.db')).size > 0)

  // The second start reuses the database and the certificate.
  assert.equal((await runCli(['domain', 'add', 'example.test'], { dataDir })).code, 0)
  assert.equal((await runCli(['user', 'add', 'alice@example.test', '--password', 'pw'], { dataDir })).code, 0)
  const second = await startServe(dataDir, { ...listenerEnv(), TIDINGS_TRUSTED_NETWORKS: '127.0.0.0/8' })
  assert.equal(readFileSync(cert, 'utf8'), pem)
  assert.ok(!second.lines.some((l) => /no users yet|generated a self-signed/.test(l)))

  // The CLI writes while the server runs; the server sees it at once (same database, WAL).
  assert.equal((await runCli(['user', 'add', 'bob@example.test', '--password', '-'], { dataDir, input: 'bob-pw\n' })).code, 0)
  // SIGHUP re-reads the certificate without stopping.
  const before = second.lines.length
  second.child.kill('SIGHUP')
  await waitFor(() => second.lines.slice(before).some((l) => l.includes('TLS certificate reloaded')), 'the reload log line')
  const imap = second.lines.map((l) => JSON.parse(l) as { service?: string; address?: string }).find((l) => l.service === 'imap' && l.address)
  if (imap) {
    const [host, port] = imap.address!.split(':')
    assert.match(await imapLogin(host, Number(port), 'bob@example.test', 'bob-pw'), /^a OK/)
  }
  assert.equal(await stop(second.child), 0, `${second.lines.slice(-5).join('\n')}\n${second.stderr()}`)
  assert.equal(JSON.parse((await runCli(['status', '--json'], { dataDir })).stdout).running, false)
})

test('a port already in use stops start-up with one line naming the key and address', { skip: SERVICE_STARTERS.length === 0 && 'no service is registered yet' }, async (t) => {
  const dataDir = tempDir(t)
  const blocker = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.after(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const result = await runCli(['serve'], { dataDir, env: { ...listenerEnv(`127.0.0.1:${port}`), TIDINGS_LOG_LEVEL: 'silent' } })
  assert.equal(result.code, 1, result.stderr)
  const lines = result.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0], new RegExp(`^tidings: Cannot listen for listen\\.[a-z0-9]+ on 127\\.0\\.0\\.1:${port}: address already in use; set TIDINGS_LISTEN_`))
})

/** Runs `serve` expecting it to refuse: exit 1 and one line on stderr matching `pattern`. */
async function refusesToStart(dataDir: string, env: Record<string, string>, pattern: RegExp): Promise<void> {
  const result = await runCli(['serve'], { dataDir, env: { ...listenerEnv(), TIDINGS_LOG_LEVEL: 'silent', ...env } })
  assert.equal(result.code, 1, `exit ${result.code}: ${result.stderr}${result.stdout}`)
  const lines = result.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, result.stderr)
  assert.match(lines[0], pattern)
}

test('a corrupt database file → one line, the file untouched', async (t) => {
  const dataDir = tempDir(t)
  const garbage = Buffer.alloc(8192, 'not a database ')
  writeFileSync(join(dataDir, 'tidings.db'), garbage)
  await refusesToStart(dataDir, {}, /^tidings: Cannot open database .*tidings\.db: file is not a database/)
  assert.deepEqual(readFileSync(join(dataDir, 'tidings.db')), garbage)
})

test('a database from a newer Tidings → one line, nothing changed', async (t) => {
  const dataDir = tempDir(t)
  assert.equal((await runCli(['domain', 'add', 'example.test'], { dataDir })).code, 0)
  const db = new DatabaseSync(join(dataDir, 'tidings.db'))
  db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
  db.close()
  await refusesToStart(dataDir, {}, /^tidings: Database schema version 9999 is newer than this Tidings knows/)
})

test('an unusable data dir → one line naming it', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'a-file'), 'x')
  const dataDir = join(dir, 'a-file', 'data')
  await refusesToStart(dataDir, {}, /^tidings: Cannot use data directory .*a-file\/data: .*TIDINGS_DATA_DIR/)
})

test('an unknown config key or a bad port → one line naming it', async (t) => {
  const dataDir = tempDir(t)
  await refusesToStart(dataDir, { TIDINGS_LISTEN_IMAPZ: '1' }, /^tidings: Unknown environment variable TIDINGS_LISTEN_IMAPZ/)
  await refusesToStart(dataDir, { TIDINGS_LISTEN_IMAP: '127.0.0.1:70000' }, /^tidings: TIDINGS_LISTEN_IMAP: .*listen\.imap/)
  const toml = join(dataDir, 'bad.toml')
  writeFileSync(toml, '[smtp]\nmax_mesage_size = "10M"\n')
  await refusesToStart(dataDir, { TIDINGS_CONFIG: toml }, /^tidings: Unknown configuration key "smtp\.max_mesage_size"/)
  await refusesToStart(dataDir, { TIDINGS_LOG_LEVEL: 'loud' }, /^tidings: log_level must be one of/)
})

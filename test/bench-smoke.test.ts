/**
 * Keeps the benchmark load generators from rotting: each one runs for a moment against a real
 * `tidings serve` started by the harness (bench/targets/tidings.ts) and must get its work done.
 * Protocols this checkout does not serve yet are skipped with the reason printed. No timings.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TidingsTarget } from '../bench/targets/tidings.ts'
import { benchUsers, TargetUnavailable } from '../bench/targets/target.ts'
import { runInWorkers } from '../bench/load/workers.ts'
import { run as runSmtp, type SmtpSenderInput, type SmtpSenderResult } from '../bench/load/smtp-sender.ts'
import { run as runImapMix } from '../bench/load/imap-mix.ts'
import { run as runPop3 } from '../bench/load/pop3-retriever.ts'
import { run as runIdle } from '../bench/load/idle-holder.ts'
import { appendByImap } from '../bench/lib/populate.ts'
import { makeMessage } from '../bench/lib/message.ts'
import { cacheEntry, restoreEntry, saveEntry } from '../bench/lib/data-cache.ts'
import { formatProfile, summarizeProfile } from '../bench/lib/cpu-profile.ts'

const users = benchUsers(2)
let target: TidingsTarget | undefined
let unavailable = ''

function needs(t: TestContext, port: number | undefined, what: string): port is number {
  if (!target) {
    t.skip(unavailable)
    console.log(`# bench smoke skipped: ${unavailable}`)
    return false
  }
  if (!port) {
    const reason = `tidings serve does not listen for ${what} yet`
    t.skip(reason)
    console.log(`# bench smoke skipped: ${reason}`)
    return false
  }
  return true
}

describe('benchmark load generators against Tidings', () => {
  before(async () => {
    try {
      target = await TidingsTarget.start({ users, maxConnections: 20, imaps: true })
    } catch (error) {
      if (!(error instanceof TargetUnavailable)) throw error
      unavailable = error.message
    }
  })
  after(async () => {
    await target?.stop()
  })

  it('the SMTP sender (in a worker) gets messages accepted and delivered to the INBOX', async (t) => {
    if (!needs(t, target?.smtpPort, 'SMTP') || !needs(t, target?.imapPort, 'IMAP')) return
    const before = await target!.inboxCount(users[0].address)
    const input: SmtpSenderInput = { port: target!.smtpPort!, connections: 2, messages: 6, durationMs: 10_000, size: 4096, from: 'smoke@load.test', recipients: [users[0].address], idPrefix: 'smoke' }
    const { results: [sent] } = await runInWorkers<SmtpSenderInput, SmtpSenderResult>(new URL('../bench/load/smtp-sender.ts', import.meta.url), [input])
    assert.equal(sent.firstError, null)
    assert.equal(sent.accepted, 6)
    const deadline = Date.now() + 20_000
    let now = before
    while (now < before + 6 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      now = await target!.inboxCount(users[0].address)
    }
    assert.equal(now, before + 6)
  })

  it('the SMTP sender reports refusals instead of counting them', async (t) => {
    if (!needs(t, target?.smtpPort, 'SMTP')) return
    const sent = await runSmtp({ port: target!.smtpPort!, connections: 1, messages: 1, durationMs: 5_000, size: 1024, from: 'smoke@load.test', recipients: ['nobody-here@bench.test'], idPrefix: 'smoke-refused' })
    assert.equal(sent.accepted, 0)
    assert.equal(sent.refused, 1)
    assert.match(sent.firstError ?? '', /^5\d\d /)
  })

  it('the IMAP mix runs every kind of command with OK replies', async (t) => {
    if (!needs(t, target?.imapPort, 'IMAP')) return
    for (const user of users) {
      await appendByImap({ port: target!.imapPort!, address: user.address, password: user.password, count: 25, make: (i) => makeMessage({ size: 2048, from: 'sender@load.test', to: user.address, id: `mix-smoke.${user.address}.${i}` }), connections: 2 })
    }
    const result = await runImapMix({ port: target!.imapPort!, users, clientsPerUser: 2, durationMs: 1_500, runs: 2, seed: 7, pids: target!.pids() })
    assert.equal(result.firstError, null)
    assert.equal(result.loginFailures, 0)
    assert.equal(result.windows.length, 2)
    const ok: Record<string, number> = {}
    for (const w of result.windows) {
      assert.equal(w.failures, 0)
      for (const [op, n] of Object.entries(w.ok)) ok[op] = (ok[op] ?? 0) + n
    }
    for (const op of ['FETCH', 'STORE', 'SEARCH', 'APPEND', 'SELECT']) assert.ok((ok[op] ?? 0) > 0, `${op} ran with OK: ${JSON.stringify(ok)}`)
  })

  it('the POP3 retriever downloads the maildrop', async (t) => {
    if (!needs(t, target?.pop3Port, 'POP3') || !needs(t, target?.imapPort, 'IMAP')) return
    const user = users[1]
    const count = await target!.inboxCount(user.address)
    assert.ok(count > 0)
    const result = await runPop3({ port: target!.pop3Port!, address: user.address, password: user.password, count: 10 })
    assert.equal(result.firstError, null)
    assert.equal(result.retrieved, Math.min(10, count))
    assert.ok(result.bytes > 0)
  })

  it('the IDLE holder holds sessions and sees each delivery as EXISTS', async (t) => {
    if (!needs(t, target?.imapPort, 'IMAP') || !needs(t, target?.smtpPort, 'SMTP')) return
    const result = await runIdle({ imapPort: target!.imapPort!, smtpPort: target!.smtpPort!, users, connectionsPerUser: 2, pids: target!.pids(), settleMs: 200, runs: 1, deliveriesPerRun: 2 })
    assert.equal(result.firstError, null)
    assert.equal(result.opened, 4)
    assert.equal(result.missed, 0)
    // Two deliveries, each to a user with two IDLE sessions.
    assert.equal(result.latencyMs[0].length, 4)
    assert.ok(result.held[0].pssKiB > 0)
  })

  it('the IDLE holder does the same over implicit TLS (IMAPS)', async (t) => {
    if (!needs(t, target?.imapsPort, 'IMAPS') || !needs(t, target?.smtpPort, 'SMTP')) return
    const result = await runIdle({ imapPort: target!.imapsPort!, tls: true, smtpPort: target!.smtpPort!, users, connectionsPerUser: 1, pids: target!.pids(), settleMs: 200, runs: 1, deliveriesPerRun: 2 })
    assert.equal(result.firstError, null)
    assert.equal(result.opened, 2)
    assert.equal(result.missed, 0)
    assert.equal(result.latencyMs[0].length, 2)
  })

  it('the IDLE holder counts a refused login as a failure, not a session', async (t) => {
    if (!needs(t, target?.imapPort, 'IMAP') || !needs(t, target?.smtpPort, 'SMTP')) return
    const wrong = [{ address: users[0].address, password: 'not-the-password' }]
    const result = await runIdle({ imapPort: target!.imapPort!, smtpPort: target!.smtpPort!, users: wrong, connectionsPerUser: 1, pids: target!.pids(), settleMs: 0, runs: 1, deliveriesPerRun: 0 })
    assert.equal(result.opened, 0)
    assert.equal(result.failures, 1)
    assert.match(result.firstError ?? '', /LOGIN refused/)
  })
})

describe('benchmark tools', () => {
  it('a cache entry is named by what built it and comes back as it was saved', () => {
    const a = cacheEntry('tidings', 'inbox 10', 'user1@bench.test')
    assert.equal(cacheEntry('tidings', 'inbox 10', 'user1@bench.test'), a)
    assert.notEqual(cacheEntry('tidings', 'inbox 10', 'user2@bench.test'), a)
    assert.notEqual(cacheEntry('maildir', 'inbox 10', 'user1@bench.test'), a)
    assert.match(a, /tidings-inbox-10-[0-9a-f]{16}$/)

    const dir = mkdtempSync(join(tmpdir(), 'bench-cache-test-'))
    try {
      const source = join(dir, 'source')
      mkdirSync(join(source, 'cur'), { recursive: true })
      writeFileSync(join(source, 'cur', 'm1'), 'one')
      writeFileSync(join(source, 'db'), 'database')
      const entry = join(dir, 'entry')
      saveEntry(source, entry)
      assert.deepEqual(readdirSync(dir).sort(), ['entry', 'source'])
      const to = join(dir, 'to')
      mkdirSync(to)
      writeFileSync(join(to, 'stale'), 'x')
      restoreEntry(entry, to)
      assert.deepEqual(readdirSync(to).sort(), ['cur', 'db'])
      assert.equal(readFileSync(join(to, 'db'), 'utf8'), 'database')
      // A copy: the server writing its database must not change the entry.
      writeFileSync(join(to, 'db'), 'changed')
      assert.equal(readFileSync(join(entry, 'db'), 'utf8'), 'database')
      // Linked and merged (Maildir): files already there stay, message files share the inode.
      const md = join(dir, 'maildir')
      mkdirSync(md)
      writeFileSync(join(md, 'dovecot-uidlist'), 'x')
      restoreEntry(entry, md, { link: true, merge: true })
      assert.ok(existsSync(join(md, 'dovecot-uidlist')))
      assert.equal(statSync(join(md, 'cur', 'm1')).ino, statSync(join(entry, 'cur', 'm1')).ino)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a --cpu-prof profile is summarised by self time, busiest function first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-profile-test-'))
    try {
      const script = 'function spinForProfile(){let x=0;const end=Date.now()+300;while(Date.now()<end)x+=Math.sqrt(x+1);return x}spinForProfile()'
      const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', script], { encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
      const [file] = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
      assert.ok(file, 'node wrote a .cpuprofile')
      const summary = summarizeProfile(join(dir, file), 5)
      assert.ok(summary.busyMs > 100, `busy ${summary.busyMs} ms`)
      assert.match(summary.functions[0].name, /^spinForProfile /)
      assert.ok(summary.functions[0].percent > 50)
      assert.match(formatProfile(summary, file), /\| `spinForProfile [^`]*` \| \d+ \|/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/**
 * IMAP: the imaptest-style mix (load/imap-mix.ts), 100 users × 10 clients logged in once, then
 * three 30-s windows, against Tidings and Dovecot in high-performance mode (and stock with
 * BENCH_DOVECOT_STOCK=1: it adds three minutes). Each INBOX starts with 100 messages of 4 KiB,
 * filled before the servers start (Tidings: store API fast path; Dovecot: Maildir files).
 * Reports completed commands per second (OK replies; NO from racing expunges counted apart),
 * command latency p50/p95, and CPU of server and generator.
 */
import { runInWorkers } from '../load/workers.ts'
import type { ImapMixInput, ImapMixResult } from '../load/imap-mix.ts'
import { cell, percentile, ratio, round, spread } from '../lib/stats.ts'
import { progress, usingTarget, withServerCpu } from '../lib/measure.ts'
import { makeMessage } from '../lib/message.ts'
import { writeMaildir } from '../lib/populate.ts'
import { fillMailboxes } from '../lib/tidings-fast-path.ts'
import { benchUsers, type BenchUser, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'
import type { DovecotMode } from '../anchors/dovecot.ts'

interface Sample {
  opsPerSecond: number
  noPerSecond: number
  p50: number
  p95: number
  serverCpu: number
  /** The harness's CPU over the whole run, apportioned by window length (ramp included). */
  generatorCpu: number
  failures: number
  /** Mean latency per operation in this window, ms. */
  meanMs: Record<string, number>
}

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const userCount = options.quick ? 20 : 100
  const clientsPerUser = options.quick ? 5 : 10
  const durationMs = options.quick ? 5_000 : 30_000
  const perMailbox = options.quick ? 50 : 100
  const runs = 3
  const users = benchUsers(userCount)
  const make = (address: string) => (i: number) => makeMessage({ size: 4096, from: `sender${i % 10}@load.test`, to: address, id: `pre.${address}.${i}` })

  const measure = async (target: MailTarget): Promise<Sample[]> => {
    // One worker holds every client: ~1,000 sessions at a few thousand commands/s fit one event loop,
    // and one worker keeps the three windows aligned. Logins happen once, before the first window.
    const input: ImapMixInput = { port: target.imapPort!, users, clientsPerUser, durationMs, runs, seed: 12345, pids: target.pids() }
    const { results: [res], generatorCpuSeconds } = await runInWorkers<ImapMixInput, ImapMixResult>(new URL('../load/imap-mix.ts', import.meta.url), [input])
    progress(`${target.name}: ${users.length * clientsPerUser - res.loginFailures} sessions logged in in ${res.rampSeconds.toFixed(1)} s${res.firstError ? `; first error: ${res.firstError}` : ''}`)
    const total = res.rampSeconds + res.windows.reduce((n, w) => n + w.seconds, 0)
    return res.windows.map((w, r) => {
      const ok = Object.values(w.ok).reduce((a, b) => a + b, 0)
      const no = Object.values(w.no).reduce((a, b) => a + b, 0)
      const sample = {
        opsPerSecond: ok / w.seconds, noPerSecond: no / w.seconds, p50: percentile(w.latencyMs, 50), p95: percentile(w.latencyMs, 95),
        serverCpu: w.serverCpuSeconds, generatorCpu: generatorCpuSeconds * (w.seconds / total), failures: w.failures,
        meanMs: Object.fromEntries(Object.entries(w.msByOp).map(([op, ms]) => [op, ms / ((w.ok[op] ?? 0) + (w.no[op] ?? 0))])),
      }
      progress(`${target.name} window ${r + 1}: ${Math.round(sample.opsPerSecond)} ops/s, p50 ${sample.p50.toFixed(1)} ms, server CPU ${w.serverCpuSeconds.toFixed(1)} s, ${w.failures} broken sessions`)
      return sample
    })
  }

  const results = new Map<string, Sample[] | undefined>()
  results.set('tidings', await usingTarget('tidings', () => TidingsTarget.start({
    users, maxConnections: userCount * clientsPerUser + 50, needs: ['imap'], cache: `imap mix ${userCount}x${perMailbox}`,
    prepare: (dir) => fillMailboxes(dir, users.map((u) => u.address), perMailbox, make),
  }), measure))
  const modes: DovecotMode[] = options.quick || process.env.BENCH_DOVECOT_STOCK === '1' ? ['stock', 'high-performance'] : ['high-performance']
  for (const mode of modes) {
    results.set(`dovecot (${mode})`, await usingTarget(`dovecot (${mode})`, async () => {
      const target = await PostfixDovecotTarget.start({ mode, users, maxConnections: userCount * clientsPerUser + 50 })
      fillDovecot(target, users, perMailbox, make)
      return target
    }, measure))
  }

  const rows: Array<Record<string, string | number>> = []
  const tidings = results.get('tidings')
  for (const [name, s] of results) {
    rows.push({
      target: name,
      'ops/s': cell(s?.map((x) => x.opsPerSecond) ?? []),
      'NO/s': cell(s?.map((x) => x.noPerSecond) ?? []),
      'p50 ms': cell(s?.map((x) => x.p50) ?? []),
      'p95 ms': cell(s?.map((x) => x.p95) ?? []),
      'server CPU s/window': cell(s?.map((x) => x.serverCpu) ?? []),
      'generator CPU s/window': cell(s?.map((x) => x.generatorCpu) ?? []),
      'tidings ÷ this (ops/s)': name === 'tidings' ? '' : ratio(tidings?.map((x) => x.opsPerSecond), s?.map((x) => x.opsPerSecond)),
      // Where the time goes: median over the windows of each command's mean latency.
      'mean ms by command': s ? Object.keys(s[0]?.meanMs ?? {}).sort().map((op) => `${op} ${round(spread(s.map((x) => x.meanMs[op] ?? NaN).filter(Number.isFinite)).median)}`).join(' · ') : 'n/a',
    })
  }
  return { name: 'imap', rows }
}

function fillDovecot(target: PostfixDovecotTarget, users: readonly BenchUser[], count: number, make: (address: string) => (i: number) => Buffer): void {
  for (const user of users) {
    writeMaildir(target.dovecot.maildir(user.address), count, make(user.address))
    target.dovecot.fixOwnership(user.address)
  }
}

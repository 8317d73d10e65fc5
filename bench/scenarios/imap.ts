/**
 * IMAP: the imaptest-style mix (load/imap-mix.ts) for 30 s, 100 users × 10 clients, against
 * Tidings and Dovecot (stock and high-performance). Each INBOX starts with 100 messages of 4 KiB.
 * Reports completed commands per second (OK replies; NO from racing expunges counted apart),
 * command latency p50/p95, and CPU of server and generator.
 */
import { runInWorkers, split } from '../load/workers.ts'
import type { ImapMixInput, ImapMixResult } from '../load/imap-mix.ts'
import { cell, percentile, ratio } from '../lib/stats.ts'
import { progress, usingTarget, withServerCpu } from '../lib/measure.ts'
import { makeMessage } from '../lib/message.ts'
import { appendByImap, writeMaildir } from '../lib/populate.ts'
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
  generatorCpu: number
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
    const samples: Sample[] = []
    for (let r = 0; r < runs; r++) {
      const inputs: ImapMixInput[] = []
      const halves = split(users.length, 2)
      let from = 0
      for (const n of halves) {
        inputs.push({ port: target.imapPort!, users: users.slice(from, from + n), clientsPerUser, durationMs, seed: 1000 * r + from + 1 })
        from += n
      }
      const { value, serverCpuSeconds } = await withServerCpu(target, () => runInWorkers<ImapMixInput, ImapMixResult>(new URL('../load/imap-mix.ts', import.meta.url), inputs))
      const ok = value.results.reduce((n, x) => n + Object.values(x.ok).reduce((a, b) => a + b, 0), 0)
      const no = value.results.reduce((n, x) => n + Object.values(x.no).reduce((a, b) => a + b, 0), 0)
      const seconds = Math.max(...value.results.map((x) => x.seconds))
      const latency = value.results.flatMap((x) => x.latencyMs)
      const failures = value.results.reduce((n, x) => n + x.failures, 0)
      const error = value.results.find((x) => x.firstError)?.firstError
      if (failures) progress(`${target.name}: ${failures} client failures, first: ${error}`)
      const sample = { opsPerSecond: ok / seconds, noPerSecond: no / seconds, p50: percentile(latency, 50), p95: percentile(latency, 95), serverCpu: serverCpuSeconds, generatorCpu: value.generatorCpuSeconds }
      progress(`${target.name} run ${r + 1}: ${Math.round(sample.opsPerSecond)} ops/s, p50 ${sample.p50.toFixed(1)} ms, server CPU ${serverCpuSeconds.toFixed(1)} s`)
      samples.push(sample)
    }
    return samples
  }

  const results = new Map<string, Sample[] | undefined>()
  results.set('tidings', await usingTarget('tidings', async () => {
    const target = await TidingsTarget.start({ users, maxConnections: userCount * clientsPerUser + 50, needs: ['imap'] })
    try {
      progress(`tidings: appending ${perMailbox} messages to each of ${users.length} INBOXes`)
      for (const user of users) await appendByImap({ port: target.imapPort!, address: user.address, password: user.password, count: perMailbox, make: make(user.address), connections: 2 })
    } catch (error) {
      await target.stop()
      throw error
    }
    return target
  }, measure))
  for (const mode of ['stock', 'high-performance'] as DovecotMode[]) {
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
      'server CPU s/run': cell(s?.map((x) => x.serverCpu) ?? []),
      'generator CPU s/run': cell(s?.map((x) => x.generatorCpu) ?? []),
      'tidings ÷ this (ops/s)': name === 'tidings' ? '' : ratio(tidings?.map((x) => x.opsPerSecond), s?.map((x) => x.opsPerSecond)),
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

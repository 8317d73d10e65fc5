/**
 * SMTP: messages of 4 KiB and 100 KiB over 1, 10 and 50 connections (PIPELINING), Tidings against
 * Postfix → Dovecot LMTP → Maildir. "accepted" counts 250 replies per second of sending;
 * "delivered" counts messages visible in the recipients' INBOXes (IMAP STATUS for Tidings, Maildir
 * files for Dovecot) per second from the first MAIL FROM until the last one is visible.
 * `BENCH_SMTP_SIZES=100` runs only the 100 KiB cases (profiling one case: see profiles/smtp.md).
 */
import { runInWorkers, split } from '../load/workers.ts'
import type { SmtpSenderInput, SmtpSenderResult } from '../load/smtp-sender.ts'
import { cell, ratio } from '../lib/stats.ts'
import { progress, usingTarget, waitUntil, withServerCpu } from '../lib/measure.ts'
import { benchUsers, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'

const RECIPIENTS = 10
/** After the last 250, how long delivery may take before the run counts as not fully delivered. */
const DELIVERY_TIMEOUT_MS = 60_000

interface Sample {
  accepted: number
  delivered: number
  serverCpu: number
  generatorCpu: number
}

type Series = Map<string, Sample[]>

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  // BENCH_SMTP_SIZES=100 (KiB, comma-separated): only those sizes, e.g. to profile one case.
  const only = process.env.BENCH_SMTP_SIZES?.split(',').map((k) => Number(k) * 1024).filter((n) => n > 0)
  const sizes = only?.length ? only : options.quick ? [4 * 1024] : [4 * 1024, 100 * 1024]
  const connections = options.quick ? [1, 10] : [1, 10, 50]
  const runs = 3
  // 3 s of sending per run: hundreds of messages at these rates, and 36 runs fit the budget.
  const durationMs = options.quick ? 2_000 : 3_000
  const users = benchUsers(RECIPIENTS)
  const recipients = users.map((u) => u.address)

  const measure = async (target: MailTarget): Promise<Series> => {
    const series: Series = new Map()
    if (!target.smtpPort) throw new Error(`${target.name} serves no SMTP`)
    let base = 0
    for (const user of recipients) base += await target.inboxCount(user)
    for (const size of sizes) {
      for (const conns of connections) {
        const key = `${size / 1024} KiB × ${conns}`
        const samples: Sample[] = []
        for (let r = 0; r < runs; r++) {
          const workers = conns >= 10 ? 2 : 1
          const inputs: SmtpSenderInput[] = split(conns, workers).map((c, w) => ({
            port: target.smtpPort!, connections: c, messages: 1_000_000, durationMs, size, from: 'sender@load.test', recipients, idPrefix: `${Date.now()}.${r}.${w}`,
          }))
          const { value, serverCpuSeconds } = await withServerCpu(target, async () => {
            const sent = await runInWorkers<SmtpSenderInput, SmtpSenderResult>(new URL('../load/smtp-sender.ts', import.meta.url), inputs)
            const accepted = sent.results.reduce((n, s) => n + s.accepted, 0)
            const start = Math.min(...sent.results.map((s) => s.startedAt))
            const end = Math.max(...sent.results.map((s) => s.endedAt))
            const error = sent.results.find((s) => s.firstError)?.firstError
            if (error) progress(`${target.name} ${key}: ${error}`)
            let visible = 0
            const all = await waitUntil(async () => {
              visible = 0
              for (const user of recipients) visible += await target.inboxCount(user)
              return visible - base >= accepted
            }, DELIVERY_TIMEOUT_MS, 50)
            const deliveredAt = performance.timeOrigin + performance.now()
            if (!all) progress(`${target.name} ${key}: only ${visible - base} of ${accepted} delivered after ${DELIVERY_TIMEOUT_MS / 1000} s`)
            const delivered = visible - base
            base = visible
            return { accepted: accepted / ((end - start) / 1000), delivered: delivered / ((deliveredAt - start) / 1000), generatorCpu: sent.generatorCpuSeconds }
          })
          samples.push({ ...value, serverCpu: serverCpuSeconds })
          progress(`${target.name} ${key} run ${r + 1}: ${Math.round(value.accepted)} accepted/s, ${Math.round(value.delivered)} delivered/s, server CPU ${serverCpuSeconds.toFixed(1)} s`)
        }
        series.set(key, samples)
      }
    }
    return series
  }

  const tidings = await usingTarget('tidings', () => TidingsTarget.start({ users, maxConnections: 60, needs: ['smtp', 'imap'], cache: `users ${users.length}` }), measure)
  const anchor = await usingTarget('postfix+dovecot', () => PostfixDovecotTarget.start({ mode: 'stock', users, withPostfix: true, maxConnections: 60 }), measure)
  const anchorName = 'postfix+dovecot (stock)'

  const rows: Array<Record<string, string | number>> = []
  for (const size of sizes) {
    for (const conns of connections) {
      const key = `${size / 1024} KiB × ${conns}`
      const t = tidings?.get(key)
      const a = anchor?.get(key)
      const row = (name: string, s: Sample[] | undefined) => ({
        case: key,
        target: name,
        'accepted msg/s': cell(s?.map((x) => x.accepted) ?? []),
        'delivered msg/s': cell(s?.map((x) => x.delivered) ?? []),
        'server CPU s/run': cell(s?.map((x) => x.serverCpu) ?? []),
        'generator CPU s/run': cell(s?.map((x) => x.generatorCpu) ?? []),
      })
      rows.push(row('tidings', t), row(anchorName, a))
      rows.push({
        case: key,
        target: 'ratio tidings/anchor',
        'accepted msg/s': ratio(t?.map((x) => x.accepted), a?.map((x) => x.accepted)),
        'delivered msg/s': ratio(t?.map((x) => x.delivered), a?.map((x) => x.delivered)),
        'server CPU s/run': '',
        'generator CPU s/run': '',
      })
    }
  }
  return { name: 'smtp', rows }
}

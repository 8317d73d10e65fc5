/**
 * IDLE: 5,000 authenticated sessions in IDLE (100 users × 50), held while memory is sampled and
 * deliveries are timed. Reports the server's memory per connection (PSS growth of its process
 * tree ÷ sessions; RSS too) and delivery → `* EXISTS` latency p50/p95 (from the start of the SMTP
 * transaction to the EXISTS on each session of the recipient). Tidings against Postfix + Dovecot
 * in high-performance mode, without and with imap-hibernate. Tidings is measured twice, each time
 * in a fresh process: sessions over plain TCP, then over implicit TLS (IMAPS: what a TLS session
 * adds per connection, OpenSSL's buffers and state; Dovecot over IMAPS too with
 * BENCH_IDLE_DOVECOT_TLS=1). The sessions are opened once per target
 * (logins are the slow part) and measured in three runs while held.
 */
import { runInWorkers } from '../load/workers.ts'
import type { IdleHolderInput, IdleHolderResult } from '../load/idle-holder.ts'
import { cell, percentile } from '../lib/stats.ts'
import { progress, usingTarget } from '../lib/measure.ts'
import { benchUsers, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'
import type { DovecotMode } from '../anchors/dovecot.ts'

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const userCount = options.quick ? 20 : 100
  const perUser = options.quick ? 25 : 50
  const connections = userCount * perUser
  const users = benchUsers(userCount)
  const runs = 3

  const measure = (settleMs: number, tls = false) => async (target: MailTarget & { imapsPort?: number }): Promise<IdleHolderResult> => {
    const port = tls ? target.imapsPort : target.imapPort
    if (!port) throw new Error(`${target.name} has no ${tls ? 'IMAPS' : 'IMAP'} listener`)
    const input: IdleHolderInput = {
      imapPort: port, tls, smtpPort: target.smtpPort!, users, connectionsPerUser: perUser, pids: target.pids(), settleMs, runs, deliveriesPerRun: options.quick ? 5 : 10,
    }
    const { results: [res] } = await runInWorkers<IdleHolderInput, IdleHolderResult>(new URL('../load/idle-holder.ts', import.meta.url), [input])
    progress(`${target.name}${tls ? ' (IMAPS)' : ''}: ${res.opened} IDLE sessions in ${res.rampSeconds.toFixed(1)} s, ${res.failures} failed${res.firstError ? ` (first: ${res.firstError})` : ''}, ${res.missed} EXISTS missed`)
    return res
  }

  const results = new Map<string, IdleHolderResult | undefined>()
  const tidings = (imaps: boolean) => TidingsTarget.start({ users, maxConnections: connections + 100, needs: ['smtp', 'imap'], imaps, cache: `users ${userCount}` })
  results.set('tidings', await usingTarget('tidings', () => tidings(false), measure(2_000)))
  results.set('tidings (IMAPS: TLS)', await usingTarget('tidings (IMAPS)', () => tidings(true), measure(2_000, true)))
  for (const mode of ['high-performance', 'high-performance+hibernate'] as DovecotMode[]) {
    const name = `postfix+dovecot (${mode})`
    results.set(name, await usingTarget(name, () => PostfixDovecotTarget.start({ mode, users, withPostfix: true, maxConnections: connections + 100 }), measure(mode.endsWith('hibernate') ? 15_000 : 2_000)))
  }
  // Dovecot over TLS costs another 5,000-session ramp (~1.5 min): opt-in, outside the budget.
  if (process.env.BENCH_IDLE_DOVECOT_TLS === '1') {
    const name = 'postfix+dovecot (high-performance, IMAPS: TLS)'
    results.set(name, await usingTarget(name, () => PostfixDovecotTarget.start({ mode: 'high-performance', users, withPostfix: true, maxConnections: connections + 100, imaps: true }), measure(2_000, true)))
  }

  const rows: Array<Record<string, string | number>> = []
  for (const [name, res] of results) {
    const perConn = (pick: 'pssKiB' | 'rssKiB') => res ? res.held.map((m) => (m[pick] - res.baseline[pick]) / Math.max(1, res.opened)) : []
    rows.push({
      target: name,
      sessions: res ? `${res.opened}/${connections}` : 'n/a',
      'login ramp s': res ? res.rampSeconds.toFixed(1) : 'n/a',
      'PSS KiB/conn': cell(perConn('pssKiB')),
      'RSS KiB/conn': cell(perConn('rssKiB')),
      'server processes': res ? cell(res.held.map((m) => m.processes)) : 'n/a',
      'EXISTS p50 ms': cell(res?.latencyMs.filter((l) => l.length).map((l) => percentile(l, 50)) ?? []),
      'EXISTS p95 ms': cell(res?.latencyMs.filter((l) => l.length).map((l) => percentile(l, 95)) ?? []),
      missed: res ? res.missed : 'n/a',
    })
  }
  return { name: 'idle', rows }
}

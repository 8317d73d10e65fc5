/**
 * SEARCH on a 100,000-message mailbox: `SEARCH BODY <word>` (in 1 % of messages) and
 * `SEARCH FROM <address>` (1 % of messages), three times each after one SELECT. Tidings answers
 * BODY from its full-text index; Dovecot as installed has no FTS plugin and reads the messages
 * (its stock behaviour; with fts-xapian/flatcurve it would use an index).
 */
import { cell, ratio } from '../lib/stats.ts'
import { progress, usingTarget, withServerCpu } from '../lib/measure.ts'
import { BODY_WORD, FROM_WORD, openBigInbox, startDovecotWithBigMailbox, startTidingsWithBigMailbox } from '../lib/big-mailbox.ts'
import type { MailTarget } from '../targets/target.ts'

export const SEARCHES = {
  body: `SEARCH BODY ${BODY_WORD}`,
  from: `SEARCH FROM "${FROM_WORD}"`,
} as const

interface Sample {
  seconds: number
  hits: number
  serverCpu: number
}

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const count = options.quick ? 10_000 : 100_000
  const runs = 3

  const measure = async (target: MailTarget): Promise<Map<string, Sample[]>> => {
    const { imap, exists, selectSeconds } = await openBigInbox(target)
    progress(`${target.name}: SELECT of ${exists} messages took ${selectSeconds.toFixed(2)} s`)
    const out = new Map<string, Sample[]>()
    try {
      for (const [name, command] of Object.entries(SEARCHES)) {
        const samples: Sample[] = []
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now()
          const { value, serverCpuSeconds } = await withServerCpu(target, () => imap.ok(command))
          const seconds = (performance.now() - t0) / 1000
          const line = value.untagged.find((l) => /^\* SEARCH/i.test(l)) ?? ''
          const hits = line.trim().split(' ').length - 2
          samples.push({ seconds, hits, serverCpu: serverCpuSeconds })
          progress(`${target.name} ${name} run ${r + 1}: ${seconds.toFixed(3)} s, ${hits} hits`)
        }
        out.set(name, samples)
      }
    } finally {
      await imap.logout()
    }
    return out
  }

  const tidings = await usingTarget('tidings', () => startTidingsWithBigMailbox(count), measure)
  const dovecot = await usingTarget('dovecot', () => startDovecotWithBigMailbox(count), measure)
  const rows: Array<Record<string, string | number>> = []
  for (const name of Object.keys(SEARCHES)) {
    const t = tidings?.get(name)
    const d = dovecot?.get(name)
    const row = (target: string, s: Sample[] | undefined, vs: string) => ({
      search: name,
      target,
      messages: count,
      seconds: cell(s?.map((x) => x.seconds) ?? []),
      hits: s?.[0]?.hits ?? 'n/a',
      'server CPU s': cell(s?.map((x) => x.serverCpu) ?? []),
      'dovecot ÷ tidings (seconds)': vs,
    })
    rows.push(row('tidings', t, ''))
    rows.push(row('dovecot (stock, no FTS)', d, ratio(d?.map((x) => x.seconds), t?.map((x) => x.seconds))))
  }
  return { name: 'search', rows }
}

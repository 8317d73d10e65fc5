/**
 * FETCH on a 100,000-message mailbox: `FETCH 1:* (UID FLAGS ENVELOPE)` and
 * `FETCH 1:* BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]`, three times each after one SELECT,
 * Tidings against Dovecot. Seconds until the tagged OK, and the server's peak memory growth (PSS
 * of its process tree, sampled every 100 ms) over what it used before the command.
 */
import { cell, ratio } from '../lib/stats.ts'
import { progress, usingTarget, withServerCpu } from '../lib/measure.ts'
import { samplePeakMemory, treeMemory } from '../lib/proc-stats.ts'
import { openBigInbox, startDovecotWithBigMailbox, startTidingsWithBigMailbox } from '../lib/big-mailbox.ts'
import type { MailTarget } from '../targets/target.ts'

export const FETCHES = {
  envelope: 'FETCH 1:* (UID FLAGS ENVELOPE)',
  headers: 'FETCH 1:* BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]',
} as const

interface Sample {
  seconds: number
  peakGrowthMiB: number
  serverCpu: number
}

type Result = { selectSeconds: number; byFetch: Map<string, Sample[]> }

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const count = options.quick ? 10_000 : 100_000
  const runs = 3

  const measure = async (target: MailTarget): Promise<Result> => {
    const { imap, exists, selectSeconds } = await openBigInbox(target)
    progress(`${target.name}: SELECT of ${exists} messages took ${selectSeconds.toFixed(2)} s`)
    imap.keepUntagged = false
    const byFetch = new Map<string, Sample[]>()
    try {
      for (const [name, command] of Object.entries(FETCHES)) {
        const samples: Sample[] = []
        for (let r = 0; r < runs; r++) {
          const before = treeMemory(target.pids())
          const peak = samplePeakMemory(target.pids(), 100)
          const counted = imap.untaggedCount
          const t0 = performance.now()
          const { serverCpuSeconds } = await withServerCpu(target, () => imap.ok(command))
          const seconds = (performance.now() - t0) / 1000
          const top = peak.stop()
          const responses = imap.untaggedCount - counted
          if (responses < exists) progress(`${target.name}: ${name} returned ${responses} of ${exists} messages`)
          samples.push({ seconds, peakGrowthMiB: Math.max(0, top.pssKiB - before.pssKiB) / 1024, serverCpu: serverCpuSeconds })
          progress(`${target.name} ${name} run ${r + 1}: ${seconds.toFixed(2)} s, peak +${((top.pssKiB - before.pssKiB) / 1024).toFixed(1)} MiB`)
        }
        byFetch.set(name, samples)
      }
    } finally {
      await imap.logout()
    }
    return { selectSeconds, byFetch }
  }

  const tidings = await usingTarget('tidings', () => startTidingsWithBigMailbox(count), measure)
  const dovecot = await usingTarget('dovecot', () => startDovecotWithBigMailbox(count), measure)
  const rows: Array<Record<string, string | number>> = []
  for (const name of Object.keys(FETCHES)) {
    const t = tidings?.byFetch.get(name)
    const d = dovecot?.byFetch.get(name)
    const row = (target: string, s: Sample[] | undefined, select: number | undefined, vs: string) => ({
      fetch: name,
      target,
      messages: count,
      seconds: cell(s?.map((x) => x.seconds) ?? []),
      'peak memory growth MiB': cell(s?.map((x) => x.peakGrowthMiB) ?? []),
      'server CPU s': cell(s?.map((x) => x.serverCpu) ?? []),
      'first SELECT s': select === undefined ? 'n/a' : select.toFixed(2),
      'dovecot ÷ tidings (seconds)': vs,
    })
    rows.push(row('tidings', t, tidings?.selectSeconds, ''))
    rows.push(row('dovecot (stock)', d, dovecot?.selectSeconds, ratio(d?.map((x) => x.seconds), t?.map((x) => x.seconds))))
  }
  return { name: 'fetch', rows }
}

/**
 * `npm run bench [-- <scenario>…] [--quick] [--profile] [--tidings-only] [--fresh]`: runs the
 * scenarios, prints a table per scenario (median, min–max over ≥ 3 runs), writes
 * bench/results/<scenario>.json and refreshes the summary in bench/README.md. Must be run as root
 * on Debian: the anchors install and start Postfix and Dovecot. See bench/README.md.
 *
 * Every scenario has a time budget (the whole run must fit in 20 minutes on 2 cores): elapsed
 * time is printed against it, and a scenario still running at HARD_LIMIT × its budget is stopped
 * (its servers killed) so that one hang cannot cost the rest of the run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { formatTable } from './lib/stats.ts'
import { machine } from './lib/machine.ts'
import { markdownTable, readResults, updateReadme, writeResult } from './lib/report.ts'
import { targetRows } from './lib/targets-summary.ts'
import { inScenario, stopAllTargets, type ScenarioToken } from './lib/measure.ts'
import { formatProfile, summarizeProfile } from './lib/cpu-profile.ts'

export const SCENARIOS = ['store', 'smtp', 'imap', 'idle', 'fetch', 'search', 'pop3'] as const
type Scenario = (typeof SCENARIOS)[number]
type ScenarioModule = { run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> }

/**
 * Seconds each scenario may take in a full run on a fresh clone, building what bench/.cache/
 * lacks included (fetch: the 100,000-message mailboxes, ~100 s; imap: 100 users, ~30 s).
 * Measured at 19:26–19:51 UTC on 2026-11-23 (2 cores, load average 5–80) plus a margin; the sum,
 * 1,155 s, leaves 45 s of the 20 minutes for start-up and stops.
 */
const BUDGET_SECONDS: Record<Scenario, number> = { store: 170, smtp: 210, imap: 280, idle: 240, fetch: 180, search: 45, pop3: 30 }
/** `--quick`: smaller counts and shorter windows. */
const QUICK_BUDGET_SECONDS: Record<Scenario, number> = { store: 60, smtp: 60, imap: 90, idle: 120, fetch: 90, search: 40, pop3: 30 }
/** A scenario still running at this multiple of its budget is stopped (a hang, not a slow run). */
const HARD_LIMIT = 2
/** Functions listed per profile by --profile. */
const PROFILE_TOP = 15

class OverHardLimit extends Error {}

/** The IDLE scenario holds thousands of sockets on both sides; children inherit this. */
const OPEN_FILES = 65_536
/** 5,000 IDLE sockets plus the servers' own files. */
const NEEDED_OPEN_FILES = 12_000

const FLAGS = ['--quick', '--profile', '--tidings-only', '--fresh']
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const profile = args.includes('--profile')
const unknown = args.filter((a) => a.startsWith('-') && !FLAGS.includes(a))
const chosen = args.filter((a) => !a.startsWith('-'))
const bad = chosen.filter((a) => !(SCENARIOS as readonly string[]).includes(a))
if (unknown.length > 0 || bad.length > 0) {
  console.error(`bench: unknown ${[...unknown, ...bad].join(' ')}; usage: npm run bench -- [${SCENARIOS.join('|')}]… [${FLAGS.join('] [')}]`)
  process.exit(2)
}
// Read by the targets (tidings.ts, postfix-dovecot.ts) and the cache (data-cache.ts).
if (args.includes('--tidings-only')) process.env.BENCH_TIDINGS_ONLY = '1'
if (args.includes('--fresh')) process.env.BENCH_FRESH = '1'
/**
 * Runs that measure something else than the full comparison (Tidings alone, under the profiler,
 * a subset of SMTP sizes) print their tables but never replace a result or the README summary.
 */
const partial = profile || args.includes('--tidings-only') || process.env.BENCH_SMTP_SIZES !== undefined
const save: typeof writeResult = (result) => { if (!partial) writeResult(result) }
const profileRoot = join(import.meta.dirname, 'profiles', 'raw', new Date().toISOString().replace(/[:.]/g, '-'))
const scenarios: Scenario[] = chosen.length > 0 ? (chosen as Scenario[]) : [...SCENARIOS]
const command = `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`

raiseOpenFiles()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}: stopping the servers it started`)
    void stopAllTargets().finally(() => process.exit(130))
  })
}
const m = machine()
const runStart = { ...m, date: new Date().toISOString() }
console.log(`Tidings benchmarks · ${new Date().toISOString()} · ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB · ${command}`)
const started = performance.now()
const elapsed: Array<{ scenario: Scenario; seconds: number; budget: number; outcome: string }> = []
for (const scenario of scenarios) {
  const file = new URL(`./scenarios/${scenario}.ts`, import.meta.url)
  const budget = (quick ? QUICK_BUDGET_SECONDS : BUDGET_SECONDS)[scenario]
  console.log(`\n## ${scenario}${quick ? ' (quick)' : ''} (budget ${budget} s)`)
  const t0 = performance.now()
  const profileDir = join(profileRoot, scenario)
  if (profile) process.env.BENCH_PROFILE_DIR = profileDir
  const base = { scenario, date: new Date().toISOString(), command, quick, machine: machine() }
  if (!existsSync(file)) {
    const skipped = `bench/scenarios/${scenario}.ts does not exist yet`
    console.log(`not measured: ${skipped}`)
    save({ ...base, seconds: 0, rows: [], skipped })
    elapsed.push({ scenario, seconds: 0, budget, outcome: 'missing' })
    continue
  }
  let outcome = 'ok'
  try {
    const module = (await import(file.href)) as ScenarioModule
    const token: ScenarioToken = { abandoned: false }
    const result = await withHardLimit(inScenario(token, () => module.run({ quick })), budget * HARD_LIMIT, scenario, token)
    console.log(formatTable(result.rows))
    save({ ...base, seconds: (performance.now() - t0) / 1000, rows: result.rows, loadAverageAtEnd: Number(loadavg()[0].toFixed(1)) })
    console.log(`load average ${base.machine.loadAverage} → ${loadavg()[0].toFixed(1)} (${m.cores} cores): other work on the machine skews these numbers`)
  } catch (error) {
    // One broken scenario must not cost the others' numbers.
    console.log(`FAILED: ${(error as Error).stack ?? error}`)
    save({ ...base, seconds: (performance.now() - t0) / 1000, rows: [], skipped: `failed: ${(error as Error).message.split('\n')[0]}` })
    outcome = error instanceof OverHardLimit ? 'stopped at hard limit' : 'failed'
    if (error instanceof OverHardLimit) await stopAllTargets()
  }
  const seconds = (performance.now() - t0) / 1000
  elapsed.push({ scenario, seconds, budget, outcome })
  console.log(`(${scenario}: ${Math.round(seconds)} s of its ${budget} s budget${seconds > budget ? ` — OVER by ${Math.round(seconds - budget)} s` : ''}; ${Math.round((performance.now() - started) / 1000)} s since the start)`)
  if (profile) printProfiles(profileDir)
}
const total = (performance.now() - started) / 1000
const timeRows = [
  ...elapsed.map((e) => ({ scenario: e.scenario, seconds: Math.round(e.seconds), budget: e.budget, over: e.seconds > e.budget ? Math.round(e.seconds - e.budget) : '', outcome: e.outcome })),
  { scenario: 'total', seconds: Math.round(total), budget: elapsed.reduce((n, e) => n + e.budget, 0), over: '', outcome: '' },
]
console.log('\n## time per scenario\n')
console.log(formatTable(timeRows))
if (partial) console.log('\n(not saved: --profile, --tidings-only and BENCH_SMTP_SIZES runs leave bench/results/ and the README as they were)')
else {
  console.log('\n## targets (issue #9), from the latest saved results\n')
  console.log(formatTable(targetRows(readResults())))
  const end = loadavg()[0].toFixed(1)
  updateReadme(`### Last run\n\n\`${command}\` · started ${runStart.date} · ${runStart.cores} cores (${runStart.cpu}), ${runStart.memoryGiB} GiB · ${Math.round(total)} s (${(total / 60).toFixed(1)} min) · load average ${runStart.loadAverage} → ${end}\n\n${markdownTable(timeRows)}`)
}
console.log(`\nAll done in ${Math.round(total)} s (${(total / 60).toFixed(1)} min); load average now ${loadavg()[0].toFixed(1)}; results in bench/results/, summary in bench/README.md`)
// Worker threads and sockets from a failed scenario must not keep the harness alive.
process.exit(0)

/** The scenario's result, or OverHardLimit once `seconds` have passed (the scenario is abandoned). */
function withHardLimit<T>(work: Promise<T>, seconds: number, scenario: string, token: ScenarioToken): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      token.abandoned = true
      reject(new OverHardLimit(`${scenario} still running after ${seconds} s (${HARD_LIMIT}× its budget): stopped`))
    }, seconds * 1000)
  })
  return Promise.race([work, limit]).finally(() => clearTimeout(timer))
}

/** Top self-time functions of each profile the scenario's Tidings processes wrote. */
function printProfiles(dir: string): void {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort() : []
  if (files.length === 0) {
    console.log(`--profile: no profile in ${dir} (the scenario started no Tidings server?)`)
    return
  }
  for (const f of files) console.log('\n' + formatProfile(summarizeProfile(join(dir, f), PROFILE_TOP), `profile ${join(dir, f)}`))
  console.log(`\nWhole profiles: open them in Chrome DevTools (Performance) or run ./node_modules/.bin/node bench/profile-summary.ts ${dir} --top 40`)
}

function raiseOpenFiles(): void {
  const current = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0)
  if (current >= NEEDED_OPEN_FILES) return
  // `ulimit -n` for ourselves and every child we start (servers included).
  const result = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${OPEN_FILES}:${OPEN_FILES}`])
  if (result.status !== 0) console.error(`bench: open-files limit is ${current} and could not be raised (${String(result.stderr).trim()}); the IDLE scenario may fall short`)
}

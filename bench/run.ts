/**
 * `npm run bench [-- <scenario>…] [--quick]`: runs the scenarios, prints a table per scenario
 * (median, min–max over ≥ 3 runs), writes bench/results/<scenario>.json and refreshes the summary
 * in bench/README.md. Must be run as root on Debian: the anchors install and start Postfix and
 * Dovecot. See bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { formatTable } from './lib/stats.ts'
import { machine } from './lib/machine.ts'
import { updateReadme, writeResult } from './lib/report.ts'
import { stopAllTargets } from './lib/measure.ts'

export const SCENARIOS = ['store', 'smtp', 'imap', 'idle', 'fetch', 'search', 'pop3'] as const
type Scenario = (typeof SCENARIOS)[number]
type ScenarioModule = { run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> }

/** The IDLE scenario holds thousands of sockets on both sides; children inherit this. */
const OPEN_FILES = 65_536
/** 5,000 IDLE sockets plus the servers' own files. */
const NEEDED_OPEN_FILES = 12_000

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const unknown = args.filter((a) => a.startsWith('-') && a !== '--quick')
const chosen = args.filter((a) => !a.startsWith('-'))
const bad = chosen.filter((a) => !(SCENARIOS as readonly string[]).includes(a))
if (unknown.length > 0 || bad.length > 0) {
  console.error(`bench: unknown ${[...unknown, ...bad].join(' ')}; usage: npm run bench -- [${SCENARIOS.join('|')}]… [--quick]`)
  process.exit(2)
}
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
console.log(`Tidings benchmarks · ${new Date().toISOString()} · ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB · ${command}`)
const started = performance.now()
for (const scenario of scenarios) {
  const file = new URL(`./scenarios/${scenario}.ts`, import.meta.url)
  console.log(`\n## ${scenario}${quick ? ' (quick)' : ''}`)
  const t0 = performance.now()
  const base = { scenario, date: new Date().toISOString(), command, quick, machine: machine() }
  if (!existsSync(file)) {
    const skipped = `bench/scenarios/${scenario}.ts does not exist yet`
    console.log(`not measured: ${skipped}`)
    writeResult({ ...base, seconds: 0, rows: [], skipped })
    continue
  }
  try {
    const module = (await import(file.href)) as ScenarioModule
    const result = await module.run({ quick })
    console.log(formatTable(result.rows))
    writeResult({ ...base, seconds: (performance.now() - t0) / 1000, rows: result.rows, loadAverageAtEnd: Number(loadavg()[0].toFixed(1)) })
    console.log(`load average ${base.machine.loadAverage} → ${loadavg()[0].toFixed(1)} (${m.cores} cores): other work on the machine skews these numbers`)
  } catch (error) {
    // One broken scenario must not cost the others' numbers.
    console.log(`FAILED: ${(error as Error).stack ?? error}`)
    writeResult({ ...base, seconds: (performance.now() - t0) / 1000, rows: [], skipped: `failed: ${(error as Error).message.split('\n')[0]}` })
  }
  console.log(`(${Math.round((performance.now() - t0) / 1000)} s)`)
}
updateReadme()
console.log(`\nAll done in ${Math.round((performance.now() - started) / 1000)} s; results in bench/results/, summary in bench/README.md`)
// Worker threads and sockets from a failed scenario must not keep the harness alive.
process.exit(0)

function raiseOpenFiles(): void {
  const current = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0)
  if (current >= NEEDED_OPEN_FILES) return
  // `ulimit -n` for ourselves and every child we start (servers included).
  const result = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${OPEN_FILES}:${OPEN_FILES}`])
  if (result.status !== 0) console.error(`bench: open-files limit is ${current} and could not be raised (${String(result.stderr).trim()}); the IDLE scenario may fall short`)
}

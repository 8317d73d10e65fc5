/**
 * Results on disk: `bench/results/<scenario>.json` per scenario, and the summary in
 * bench/README.md between the results markers, rebuilt from every results file.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { machine } from './machine.ts'
import { targetRows } from './targets-summary.ts'

export interface ScenarioResult {
  scenario: string
  date: string
  command: string
  quick: boolean
  seconds: number
  machine: ReturnType<typeof machine>
  /** 1-minute load average when the scenario ended (it started at machine.loadAverage). */
  loadAverageAtEnd?: number
  rows: Array<Record<string, string | number>>
  /** Why it was not measured, when it was not. */
  skipped?: string
}

const BENCH = join(import.meta.dirname, '..')
const RESULTS = join(BENCH, 'results')
const START = '<!-- results:start -->'
const END = '<!-- results:end -->'

/** Full runs write `<scenario>.json`; `--quick` passes write `<scenario>.quick.json` and never replace a full result. */
export function writeResult(result: ScenarioResult): void {
  const file = join(RESULTS, `${result.scenario}${result.quick ? '.quick' : ''}.json`)
  // Written whole then renamed: an interrupted run leaves the previous result, not half a file.
  writeFileSync(file + '.tmp', JSON.stringify(result, null, 2) + '\n')
  renameSync(file + '.tmp', file)
}

/** Every scenario's saved result: its full one when there is one, else its quick one. */
export function readResults(): ScenarioResult[] {
  const files = readdirSync(RESULTS).filter((f) => f.endsWith('.json'))
  return files.filter((f) => !f.endsWith('.quick.json') || !files.includes(f.replace('.quick.json', '.json'))).sort()
    .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as ScenarioResult)
}

/**
 * Rewrites the README between the results markers: `header` (the last run: command, time per
 * scenario), issue #9's targets, then each scenario's table.
 */
export function updateReadme(header = ''): void {
  const readme = join(BENCH, 'README.md')
  const text = readFileSync(readme, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start === -1 || end === -1) return
  const results = readResults()
  const targets = `### Targets (issue #9)\n\nEach from the latest saved result of its scenario (column "run").\n\n${markdownTable(targetRows(results))}`
  const sections = results.map((r) => {
    const m = r.machine
    const head = `### ${r.scenario}${r.quick ? ' (quick)' : ''}\n\n${r.date} · ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB · Linux ${m.kernel} · Node ${m.node} · ${Math.round(r.seconds)} s · load average ${m.loadAverage ?? '?'} → ${r.loadAverageAtEnd ?? '?'}\n\n\`${r.command}\`\n\n`
    return head + (r.skipped ? `Not measured: ${r.skipped}\n` : markdownTable(r.rows))
  })
  writeFileSync(readme, text.slice(0, start + START.length) + '\n\n' + (header ? header + '\n' : '') + targets + '\n' + sections.join('\n') + '\n' + text.slice(end))
}

export function markdownTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  const columns: string[] = []
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key)
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(columns), line(columns.map(() => '---')), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n') + '\n'
}

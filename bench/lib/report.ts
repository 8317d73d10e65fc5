/**
 * Results on disk: `bench/results/<scenario>.json` per scenario, and the summary in
 * bench/README.md between the results markers, rebuilt from every results file.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { machine } from './machine.ts'

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

export function updateReadme(): void {
  const readme = join(BENCH, 'README.md')
  const text = readFileSync(readme, 'utf8')
  const start = text.indexOf(START)
  const end = text.indexOf(END)
  if (start === -1 || end === -1) return
  const files = readdirSync(RESULTS).filter((f) => f.endsWith('.json'))
  // A scenario's full result when there is one, else its quick one.
  const results = files.filter((f) => !f.endsWith('.quick.json') || !files.includes(f.replace('.quick.json', '.json'))).sort()
    .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as ScenarioResult)
  const sections = results.map((r) => {
    const m = r.machine
    const head = `### ${r.scenario}${r.quick ? ' (quick)' : ''}\n\n${r.date} · ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB · Linux ${m.kernel} · Node ${m.node} · ${Math.round(r.seconds)} s · load average ${m.loadAverage ?? '?'} → ${r.loadAverageAtEnd ?? '?'}\n\n\`${r.command}\`\n\n`
    return head + (r.skipped ? `Not measured: ${r.skipped}\n` : markdownTable(r.rows))
  })
  writeFileSync(readme, text.slice(0, start + START.length) + '\n\n' + sections.join('\n') + '\n' + text.slice(end))
}

function markdownTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  const columns: string[] = []
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key)
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(columns), line(columns.map(() => '---')), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ''))))].join('\n') + '\n'
}

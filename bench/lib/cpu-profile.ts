/**
 * Summarises a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function and per
 * file, so a profile can be read in a terminal or pasted into bench/profiles/<scenario>.md.
 * Self time of a node = the sum of the sample intervals (`timeDeltas`) whose sample landed in it.
 */
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileLine {
  name: string
  ms: number
  percent: number
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  totalMs: number
  /** Time in samples that were not idle (`(idle)`, `(program)` excluded), ms. */
  busyMs: number
  functions: ProfileLine[]
  files: ProfileLine[]
}

export function summarizeProfile(path: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; the sample's own interval is the next gap.
    const us = profile.timeDeltas[i + 1] ?? 0
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, us))
  }
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  let busy = 0
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue
    busy += us
    const where = location(frame.url)
    const name = `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`
    fn.set(name, (fn.get(name) ?? 0) + us)
    const group = where || frame.functionName
    file.set(group, (file.get(group) ?? 0) + us)
  }
  const total = profile.endTime - profile.startTime
  const lines = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: busy > 0 ? (100 * us) / busy : 0 }))
  return { totalMs: total / 1000, busyMs: busy / 1000, functions: lines(fn), files: lines(file) }
}

/**
 * The call stacks (outermost first, idle frames dropped) that spent the most self time in
 * functions whose name matches `pattern`: who calls the hot function.
 */
export function heaviestStacks(path: string, pattern: RegExp, top = 5, depth = 14): ProfileLine[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0))
  const stacks = new Map<string, number>()
  let matched = 0
  for (const [id, us] of selfUs) {
    if (!pattern.test(byId.get(id)!.callFrame.functionName)) continue
    matched += us
    const frames: string[] = []
    for (let at: number | undefined = id; at !== undefined && frames.length < depth; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame
      if (f.functionName === '(root)') break
      frames.unshift(`${f.functionName || '(anonymous)'}${f.url ? ` ${location(f.url)}:${f.lineNumber + 1}` : ''}`)
    }
    const key = frames.join(' → ')
    stacks.set(key, (stacks.get(key) ?? 0) + us)
  }
  return [...stacks].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: matched > 0 ? (100 * us) / matched : 0 }))
}

/** A Markdown rendering: two tables, functions and files, by self time. */
export function formatProfile(summary: ProfileSummary, title: string): string {
  const table = (heading: string, rows: ProfileLine[]) => [
    `| ${heading} | self ms | % of busy |`, '| --- | ---: | ---: |',
    ...rows.map((r) => `| \`${r.name.replaceAll('|', '\\|')}\` | ${r.ms.toFixed(0)} | ${r.percent.toFixed(1)} |`),
  ].join('\n')
  return [
    `### ${title}`,
    `${(summary.totalMs / 1000).toFixed(1)} s profiled, ${(summary.busyMs / 1000).toFixed(1)} s on CPU (main thread; libuv pool threads not sampled)`,
    '', table('function', summary.functions), '', table('file', summary.files), '',
  ].join('\n')
}

/** Paths inside the checkout relative to it, dependencies from node_modules by package. */
function location(url: string): string {
  if (!url) return ''
  const path = url.startsWith('file://') ? new URL(url).pathname : url
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length)
  if (path.startsWith('/')) return relative(ROOT, path)
  return path
}

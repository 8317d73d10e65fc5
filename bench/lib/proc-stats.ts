/**
 * What a server process tree costs: CPU seconds and memory, read from /proc (Linux only).
 * A server is a tree (Postfix master + smtpd/cleanup/qmgr, Dovecot master + imap-login/imap/lmtp),
 * so every figure is summed over the tree rooted at the given pids.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux we run on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100

interface StatLine {
  pid: number
  ppid: number
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number
}

function readStat(pid: number): StatLine | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17.
  const ppid = Number(fields[1])
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  return { pid, ppid, ticks }
}

/** The pids of the trees rooted at `roots` (roots included), from one scan of /proc. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readStat(Number(name))
    if (!stat) continue
    const list = children.get(stat.ppid) ?? []
    list.push(stat.pid)
    children.set(stat.ppid, list)
  }
  const out: number[] = []
  const todo = [...roots]
  while (todo.length > 0) {
    const pid = todo.pop()!
    if (out.includes(pid)) continue
    out.push(pid)
    todo.push(...(children.get(pid) ?? []))
  }
  return out
}

/**
 * CPU seconds used so far by the trees. Each live process counts its own time plus its reaped
 * children's (cutime/cstime), so a process that exits between two samples is still counted once:
 * by itself in the first, through its parent in the second.
 */
export function treeCpuSeconds(roots: readonly number[]): number {
  let ticks = 0
  for (const pid of processTree(roots)) ticks += readStat(pid)?.ticks ?? 0
  return ticks / CLOCK_TICKS_PER_SECOND
}

export interface TreeMemory {
  processes: number
  rssKiB: number
  /** Proportional set size: shared pages divided among their sharers, so the sum is honest. */
  pssKiB: number
}

/** RSS and PSS summed over the trees, from /proc/<pid>/smaps_rollup. */
export function treeMemory(roots: readonly number[]): TreeMemory {
  const total: TreeMemory = { processes: 0, rssKiB: 0, pssKiB: 0 }
  for (const pid of processTree(roots)) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1')
    } catch {
      continue
    }
    total.processes++
    total.rssKiB += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0)
    total.pssKiB += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0)
  }
  return total
}

/** Samples tree memory every `everyMs` until stopped; returns the peak PSS seen (KiB). */
export function samplePeakMemory(roots: readonly number[], everyMs = 200): { stop(): TreeMemory } {
  let peak = treeMemory(roots)
  const timer = setInterval(() => {
    const now = treeMemory(roots)
    if (now.pssKiB > peak.pssKiB) peak = now
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const now = treeMemory(roots)
      return now.pssKiB > peak.pssKiB ? now : peak
    },
  }
}

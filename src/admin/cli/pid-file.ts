import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What `serve` leaves in the data dir while it runs, so `status` can say a server is up. */
export interface PidFile {
  pid: number
  startedAt: string
  listening: Record<string, string>
}

const NAME = 'tidings.pid'

export function writePidFile(dataDir: string, info: PidFile): void {
  writeFileSync(join(dataDir, NAME), JSON.stringify(info) + '\n')
}

export function removePidFile(dataDir: string, pid: number): void {
  // Only our own: a second server that failed to start must not remove the first one's file.
  if (readPidFile(dataDir)?.pid === pid) rmSync(join(dataDir, NAME), { force: true })
}

/** The running server's record, or null when none runs (a stale file from a crash counts as none). */
export function runningServer(dataDir: string): PidFile | null {
  const info = readPidFile(dataDir)
  if (!info) return null
  try {
    process.kill(info.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null
  }
  // After a reboot or container restart the pid may belong to something else: on Linux, check.
  try {
    const cmdline = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8')
    if (!/main\.ts|tidings/.test(cmdline)) return null
  } catch {
    // No /proc (not Linux) or not ours to read: trust the signal check.
  }
  return info
}

function readPidFile(dataDir: string): PidFile | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, NAME), 'utf8')) as PidFile
    return Number.isSafeInteger(info.pid) ? info : null
  } catch {
    return null
  }
}

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
    return info
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? info : null
  }
}

function readPidFile(dataDir: string): PidFile | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, NAME), 'utf8')) as PidFile
    return Number.isSafeInteger(info.pid) ? info : null
  } catch {
    return null
  }
}

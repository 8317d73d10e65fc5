/**
 * One self-rewriting status line on a terminal (stderr), nothing when output is not a TTY, so
 * scripts and logs get only the final summary.
 */

/** Redraws at most this often: a fast import must not spend its time painting. */
const REDRAW_MS = 100

export interface Progress {
  update(text: string): void
  done(): void
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, done() {} }
  let last = 0
  let shown = false
  return {
    update(text) {
      const now = Date.now()
      if (now - last < REDRAW_MS) return
      last = now
      shown = true
      const width = (stream.columns ?? 80) - 1
      stream.write('\r' + text.slice(0, width).padEnd(width))
    },
    done() {
      if (shown) stream.write('\r' + ' '.repeat((stream.columns ?? 80) - 1) + '\r')
    },
  }
}

/** "12.3 MB" */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** Lists at most `max` lines, then says how many more there were. */
export function capped(lines: readonly string[], max = 50): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `  … and ${lines.length - max} more (use --json for all)`]
}

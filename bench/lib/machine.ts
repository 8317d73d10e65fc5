import { cpus, loadavg, totalmem, release } from 'node:os'

/** What the numbers were measured on, recorded with every result. */
export function machine(): { cores: number; memoryGiB: number; cpu: string; kernel: string; node: string; loadAverage: number } {
  return {
    // Other work on the machine skews every number: recorded so a reader can tell.
    loadAverage: Number(loadavg()[0].toFixed(1)),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
  }
}

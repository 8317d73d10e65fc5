import { cpus, totalmem, release } from 'node:os'

/** What the numbers were measured on, recorded with every result. */
export function machine(): { cores: number; memoryGiB: number; cpu: string; kernel: string; node: string } {
  return {
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
  }
}

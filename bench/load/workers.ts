/**
 * Runs a load generator in worker threads, so the generator's event loop is not the harness's
 * and (with more than one worker) not a single core. Each worker imports `module` and awaits
 * `run(input)`; the harness gets every result plus the CPU the whole harness process used
 * meanwhile (all threads): the generator's own cost, reported next to the server's.
 */
import { Worker } from 'node:worker_threads'

export interface WorkerRun<R> {
  results: R[]
  /** User + system CPU seconds of this process (every thread) during the run. */
  generatorCpuSeconds: number
  wallSeconds: number
}

export async function runInWorkers<I, R>(module: URL, inputs: readonly I[]): Promise<WorkerRun<R>> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const results = await Promise.all(inputs.map((input) => runOne<I, R>(module, input)))
  const used = process.cpuUsage(cpu)
  return { results, generatorCpuSeconds: (used.user + used.system) / 1e6, wallSeconds: (performance.now() - started) / 1000 }
}

function runOne<I, R>(module: URL, input: I): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker-entry.ts', import.meta.url), { workerData: { module: module.href, input } })
    let settled = false
    worker.once('message', (message: { ok: true; result: R } | { ok: false; error: string }) => {
      settled = true
      if (message.ok) resolve(message.result)
      else reject(new Error(message.error))
    })
    worker.once('error', (error) => { settled = true; reject(error) })
    worker.once('exit', (code) => { if (!settled) reject(new Error(`load worker exited with code ${code}`)) })
  })
}

/** Splits `total` into `parts` near-equal whole numbers (the first ones get the remainder). */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))
}

/** Inside a load worker: import the generator module, run it with the input, post the result. */
import { parentPort, workerData } from 'node:worker_threads'

const { module, input } = workerData as { module: string; input: unknown }
try {
  const generator = (await import(module)) as { run(input: unknown): Promise<unknown> }
  const result = await generator.run(input)
  parentPort!.postMessage({ ok: true, result })
} catch (error) {
  parentPort!.postMessage({ ok: false, error: (error as Error).stack ?? String(error) })
}
// Sockets a generator forgot must not keep the worker alive.
process.exit(0)

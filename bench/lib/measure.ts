/** Running one measurement against a target: its CPU, and targets that fail to start. */
import { AsyncLocalStorage } from 'node:async_hooks'
import { treeCpuSeconds } from './proc-stats.ts'
import { TargetUnavailable, type MailTarget } from '../targets/target.ts'

/** Runs `work` and returns its value with the server's CPU seconds (process tree) meanwhile. */
export async function withServerCpu<T>(target: MailTarget, work: () => Promise<T>): Promise<{ value: T; serverCpuSeconds: number }> {
  const before = treeCpuSeconds(target.pids())
  const value = await work()
  return { value, serverCpuSeconds: treeCpuSeconds(target.pids()) - before }
}

/**
 * The scenario a piece of work belongs to (run.ts runs each inside `inScenario`). A scenario
 * stopped at its hard limit keeps running in the background until its awaits settle: once it is
 * `abandoned`, it may start no more targets, and one that finishes starting is stopped at once.
 */
export interface ScenarioToken {
  abandoned: boolean
}
const scenarioToken = new AsyncLocalStorage<ScenarioToken>()

export function inScenario<T>(token: ScenarioToken, work: () => Promise<T>): Promise<T> {
  return scenarioToken.run(token, work)
}

/** Targets running now, so that an interrupted run (Ctrl-C) still stops them and removes their temp dirs. */
const running = new Set<MailTarget>()

export async function stopAllTargets(): Promise<void> {
  await Promise.allSettled([...running].map((t) => t.stop()))
  running.clear()
}

/**
 * Starts a target, runs `body`, stops it. A target that cannot start is reported (one line,
 * exactly why) and yields undefined, so the scenario prints n/a instead of failing the run.
 */
export async function usingTarget<T extends MailTarget, R>(label: string, start: () => Promise<T>, body: (target: T) => Promise<R>): Promise<R | undefined> {
  const token = scenarioToken.getStore()
  if (token?.abandoned) return undefined
  let target: T
  try {
    target = await start()
    if (token?.abandoned) {
      await target.stop()
      return undefined
    }
  } catch (error) {
    if (error instanceof TargetUnavailable) {
      console.log(`  ${label}: not measured — ${error.message}`)
      return undefined
    }
    throw error
  }
  running.add(target)
  try {
    return await body(target)
  } catch (error) {
    // One system failing mid-measurement must not cost the other's numbers: report it, go on.
    console.log(`  ${label}: FAILED during measurement — ${(error as Error).message}`)
    const tail = target.log?.().trim().split('\n').slice(-5).join('\n    ')
    if (tail) console.log(`    server log tail:\n    ${tail}`)
    return undefined
  } finally {
    running.delete(target)
    await target.stop()
  }
}

/** Polls until `done()` or the deadline; resolves with whether it got there. */
export async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await done()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Progress lines go to stderr so that stdout holds only the tables. */
export function progress(text: string): void {
  process.stderr.write(`  … ${text}\n`)
}

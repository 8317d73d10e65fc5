/**
 * A policy hook that hangs (a directory lookup stuck on a dead database) must not hold the SMTP
 * session until the socket timeout: past this long it is a temporary failure, as Haraka does.
 */
import { REPLIES, reject } from './replies.ts'

export const HOOK_TIMEOUT_MS = 30_000

export function withHookTimeout<T>(work: Promise<T>, ms = HOOK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(reject(REPLIES.tempFailure.code, REPLIES.tempFailure.text)), ms)
    timer.unref()
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

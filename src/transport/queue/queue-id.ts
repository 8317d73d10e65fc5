import { randomBytes } from 'node:crypto'

/** A queue id: time-ordered (base-36 ms) plus 40 random bits, e.g. "MIBX3K2Q-4F9A1C0B7E". */
export function newQueueId(now: number): string {
  return `${now.toString(36).toUpperCase()}-${randomBytes(5).toString('hex').toUpperCase()}`
}

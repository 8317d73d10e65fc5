/**
 * How long destroyed emails stay recoverable (Exchange's deleted item retention), and how much
 * each account may keep so (its Recoverable Items quota). Read from config by the composition
 * root (`store.deleted_item_retention`, `store.recoverable_quota`) and handed to `createStore`.
 */
export interface RetentionPolicy {
  /** Milliseconds a destroyed email stays recoverable; 0 keeps nothing (destroyed at once). */
  readonly retentionMs: number
  /** Bytes of retained mail per account; past it the oldest go first. 0 means no limit. */
  readonly quotaBytes: number
}

/** What a store opened without a policy does: nothing is retained (the behaviour before retention). */
export const NO_RETENTION: RetentionPolicy = Object.freeze({ retentionMs: 0, quotaBytes: 0 })

/** Checks a policy's numbers: a negative or fractional value is a configuration mistake. */
export function checkedPolicy(policy: RetentionPolicy): RetentionPolicy {
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Invalid retention policy ${name}: ${value}`)
  }
  return Object.freeze({ retentionMs: policy.retentionMs, quotaBytes: policy.quotaBytes })
}

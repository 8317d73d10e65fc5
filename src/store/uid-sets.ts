import { sql, type Sql } from '../db/engine.ts'

/** Ranges per query: keeps each statement's parameter count far below every engine's limit. */
const RANGES_PER_QUERY = 256
/** UIDs are 32-bit (RFC 9051 2.3.1.1): '*' and Infinity end here. */
export const MAX_UID = 0xffffffff

/** Sorted, de-duplicated UIDs as inclusive ranges. */
export function toRanges(uids: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(uids)].filter((u) => Number.isInteger(u) && u > 0).sort((a, b) => a - b)
  const out: Array<[number, number]> = []
  for (const uid of sorted) {
    const last = out[out.length - 1]
    if (last && last[1] + 1 === uid) last[1] = uid
    else out.push([uid, uid])
  }
  return out
}

/**
 * `column BETWEEN a AND b OR …` fragments covering `uids`, at most RANGES_PER_QUERY ranges each.
 * The count is padded to a power of two (repeating the last range) so that a handful of
 * statement texts serve every set and the prepared-statement cache stays warm.
 */
export function uidConditions(column: string, uids: readonly number[]): Sql[] {
  const ranges = toRanges(uids)
  const out: Sql[] = []
  for (let i = 0; i < ranges.length; i += RANGES_PER_QUERY) {
    const chunk = ranges.slice(i, i + RANGES_PER_QUERY)
    let size = 1
    while (size < chunk.length) size *= 2
    while (chunk.length < size) chunk.push(chunk[chunk.length - 1])
    out.push(rangesCondition(column, chunk))
  }
  return out
}

export function rangesCondition(column: string, ranges: ReadonlyArray<readonly [number, number]>): Sql {
  if (ranges.length === 0) return sql`0 = 1`
  const col = sql.raw(column)
  return sql`(${sql.join(ranges.map(([a, b]) => sql`${col} BETWEEN ${a} AND ${Math.min(b, MAX_UID)}`), ' OR ')})`
}

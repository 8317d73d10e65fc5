/** Median/min/max over repeated runs, and the plain-text tables every scenario prints. */

export interface Spread {
  median: number
  min: number
  max: number
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1] }
}

/** Percentile (0..100) of unsorted samples, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** Rounds for display: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  if (Math.abs(value) >= 100) return Math.round(value)
  return Number(value.toPrecision(3))
}

/** "median (min–max)" for a table cell. */
export function cell(values: readonly number[]): string {
  if (values.length === 0) return 'n/a'
  const s = spread(values)
  return `${round(s.median)} (${round(s.min)}–${round(s.max)})`
}

/** A ratio cell: a / b of medians, or n/a when either side is missing. */
export function ratio(a: readonly number[] | undefined, b: readonly number[] | undefined): string {
  if (!a?.length || !b?.length) return 'n/a'
  const bm = spread(b).median
  if (!(bm > 0)) return 'n/a'
  return `${round(spread(a).median / bm)}×`
}

/** Formats rows as an aligned text table (columns from the union of row keys, in first-seen order). */
export function formatTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  const columns: string[] = []
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key)
  const text = (v: string | number | undefined) => (v === undefined ? '' : String(v))
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)))
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => text(r[c]))))].join('\n')
}

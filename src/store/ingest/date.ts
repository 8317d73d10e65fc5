const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
}

/** Obsolete zone names (RFC 5322 4.3), in hours from UTC; military letters count as +0000. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, est: -5, edt: -4, cst: -6, cdt: -5, mst: -7, mdt: -6, pst: -8, pdt: -7,
}

/** Longer values are not dates: bounds the work on a hostile Date: header. */
const MAX_DATE_LENGTH = 200

/**
 * Parses an RFC 5322 3.3 date-time, tolerating the obsolete forms of 4.3 (two- and three-digit
 * years, zone names, missing seconds, comments, folding) and day/month order slips. Returns ms since
 * the epoch, or null when no date can be read.
 */
export function parseDate(value: string | null): number | null {
  if (value === null || value.length > MAX_DATE_LENGTH) return null
  // Some broken mailers write ISO 8601; read it rather than lose the date.
  const iso = /^\s*(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)\s*$/i.exec(value)
  if (iso !== null) {
    const ms = Date.parse(iso[1].replace(' ', 'T') + (/(?:Z|[+-]\d{2}:?\d{2})$/i.test(iso[1]) ? '' : 'Z'))
    return Number.isFinite(ms) ? ms : null
  }
  const text = value.replace(/\([^()]*\)/g, ' ').toLowerCase().replace(/,/g, ' ')
  let day: number | null = null
  let month: number | null = null
  let year: number | null = null
  let time: number[] | null = null
  let zoneMinutes: number | null = null
  const tokens = text.split(/\s+/).flatMap((t) => (/^\d{1,2}-[a-z]{3}-\d{2,4}$/.test(t) ? t.split('-') : [t]))
  for (const token of tokens) {
    if (token === '') continue
    if (time === null && /^\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?$/.test(token)) {
      time = token.split(':').map((n) => Math.floor(Number(n)))
    } else if (zoneMinutes === null && /^[+-]\d{4}$/.test(token)) {
      const sign = token[0] === '-' ? -1 : 1
      zoneMinutes = sign * (Number(token.slice(1, 3)) * 60 + Number(token.slice(3, 5)))
    } else if (/^\d+$/.test(token)) {
      if (day === null && token.length <= 2) day = Number(token)
      else if (year === null && token.length <= 4) year = Number(token)
    } else if (/^[a-z]+\.?$/.test(token)) {
      const word = token.replace('.', '')
      if (month === null && word.length >= 3 && MONTHS[word.slice(0, 3)] !== undefined && !isWeekday(word)) {
        month = MONTHS[word.slice(0, 3)]
      } else if (zoneMinutes === null && ZONES[word] !== undefined) zoneMinutes = ZONES[word] * 60
      else if (zoneMinutes === null && word.length === 1) zoneMinutes = 0 // military zones: unreliable, read as UTC (RFC 5322 4.3)
    }
  }
  if (day === null || month === null || year === null) return null
  // RFC 5322 4.3: a two-digit year below 50 is 20xx, otherwise 19xx; three digits add 1900.
  if (year < 50) year += 2000
  else if (year < 1000) year += 1900
  const [hour = 0, minute = 0, second = 0] = time ?? []
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - (zoneMinutes ?? 0) * 60_000
  return Number.isFinite(ms) ? ms : null
}

function isWeekday(word: string): boolean {
  return ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].includes(word.slice(0, 3))
}

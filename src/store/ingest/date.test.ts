import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDate } from './date.ts'

const TABLE: Array<[string | null, number | null]> = [
  ['Fri, 21 Nov 1997 09:55:06 -0600', Date.UTC(1997, 10, 21, 15, 55, 6)], // RFC 5322 A.1.1
  ['Tue, 1 Jul 2003 10:52:37 +0200', Date.UTC(2003, 6, 1, 8, 52, 37)],
  ['Thu,\r\n 13\r\n   Feb\r\n 1969\r\n 23:32\r\n -0330 (Newfoundland Time)', Date.UTC(1969, 1, 14, 3, 2, 0)], // RFC 5322 A.6.3
  ['21 Nov 97 09:55:06 GMT', Date.UTC(1997, 10, 21, 9, 55, 6)], // A.6.2: two-digit year, zone name
  ['1 Jan 05 00:00 EST', Date.UTC(2005, 0, 1, 5, 0, 0)],
  ['Mon, 3 Mar 2025 09:15:00', Date.UTC(2025, 2, 3, 9, 15, 0)], // no zone: read as UTC
  ['Wed, 02 Oct 2002 13:00:00 Z', Date.UTC(2002, 9, 2, 13, 0, 0)],
  ['02-Oct-2002 13:00:00 +0000', Date.UTC(2002, 9, 2, 13, 0, 0)],
  ['Sat, 29 Feb 2020 23:59:60 +0000', Date.UTC(2020, 1, 29, 23, 59, 59)],
  ['Tue Nov 14 10:00:00 2023', Date.UTC(2023, 10, 14, 10, 0, 0)], // asctime, as some scripts write
  ['2023-11-14T10:00:00+01:00', Date.UTC(2023, 10, 14, 9, 0, 0)], // ISO 8601, as broken mailers write
  ['2023-11-14 10:00', Date.UTC(2023, 10, 14, 10, 0, 0)],
  ['not a date', null],
  ['', null],
  [null, null],
  ['32 Jan 2020 00:00 +0000', null],
  ['1 Jan 2020 25:00 +0000', null],
  ['x'.repeat(10_000), null],
]

for (const [value, expected] of TABLE) {
  test(`Date: ${JSON.stringify(value?.slice(0, 50))}`, () => {
    assert.equal(parseDate(value), expected)
  })
}

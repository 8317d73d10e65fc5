/**
 * Issue #9's targets, read from the saved results: one row per target with what was measured, and
 * the comparisons with no target where Tidings is behind, each pointing at its profile note
 * (bench/profiles/<scenario>.md). Printed at the end of a run and placed first in the README
 * summary.
 */
import type { ScenarioResult } from './report.ts'

type Row = Record<string, string | number>

interface Check {
  target: string
  scenario: string
  /** Finds the row and returns the measured cell. */
  pick: (rows: Row[]) => string | number | undefined
  /** The goal, as text, and whether the median meets it. */
  required: string
  met?: (value: number) => boolean
  profile?: string
}

const CHECKS: Check[] = [
  {
    target: 'SMTP delivered, 4 KiB × 10 connections, ÷ Postfix+Dovecot', scenario: 'smtp', required: '≥ 2×', met: (v) => v >= 2,
    pick: (rows) => rows.find((r) => r.case === '4 KiB × 10' && r.target === 'ratio tidings/anchor')?.['delivered msg/s'],
  },
  {
    target: 'IMAP mix ops/s ÷ Dovecot high-performance', scenario: 'imap', required: '≥ 1.0×', met: (v) => v >= 1,
    pick: (rows) => rows.find((r) => r.target === 'dovecot (high-performance)')?.['tidings ÷ this (ops/s)'],
  },
  {
    target: 'memory per idle IMAP connection (plaintext), PSS KiB', scenario: 'idle', required: '≤ 16', met: (v) => v <= 16, profile: 'idle.md',
    pick: (rows) => rows.find((r) => r.target === 'tidings')?.['PSS KiB/conn'],
  },
  {
    target: 'memory per idle IMAPS connection (TLS), PSS KiB', scenario: 'idle', required: 'reported',
    pick: (rows) => rows.find((r) => String(r.target).startsWith('tidings (IMAPS'))?.['PSS KiB/conn'],
  },
  {
    target: 'EXISTS p50 at 5,000 idle connections, ms', scenario: 'idle', required: '≤ 50', met: (v) => v <= 50,
    pick: (rows) => rows.find((r) => r.target === 'tidings')?.['EXISTS p50 ms'],
  },
  {
    target: 'SEARCH BODY on 100,000 messages, ms', scenario: 'search', required: '≤ 50', met: (v) => v <= 50,
    pick: (rows) => {
      const s = rows.find((r) => r.search === 'body' && r.target === 'tidings')?.seconds
      return s === undefined ? undefined : String(Number((leading(s) * 1000).toPrecision(3)))
    },
  },
  {
    target: 'store deliveries/s (durable, 4 KiB)', scenario: 'store', required: '≥ 5000', met: (v) => v >= 5000, profile: 'store.md',
    pick: (rows) => rows.find((r) => r.unit === 'deliveries/s' && String(r.measure ?? '').includes('durable') && !String(r.measure).includes('off'))?.value,
  },
  ...['1', '10', '50'].map((c): Check => ({
    target: `SMTP delivered, 100 KiB × ${c}, ÷ Postfix+Dovecot`, scenario: 'smtp', required: 'none (≥ 1× hoped)', met: (v) => v >= 1, profile: 'smtp.md',
    pick: (rows) => rows.find((r) => r.case === `100 KiB × ${c}` && r.target === 'ratio tidings/anchor')?.['delivered msg/s'],
  })),
  ...['envelope', 'headers'].map((f): Check => ({
    target: `FETCH ${f} of 100,000, Dovecot's seconds ÷ Tidings'`, scenario: 'fetch', required: 'none (≥ 1× hoped)', met: (v) => v >= 1, profile: 'fetch.md',
    pick: (rows) => rows.find((r) => r.fetch === f && String(r.target).startsWith('dovecot'))?.['dovecot ÷ tidings (seconds)'],
  })),
  {
    target: 'POP3 RETR/s ÷ Dovecot', scenario: 'pop3', required: 'none (≥ 1× hoped)', met: (v) => v >= 1, profile: 'pop3.md',
    pick: (rows) => rows.find((r) => String(r.target).startsWith('dovecot'))?.['tidings ÷ this (RETR/s)'],
  },
]

export function targetRows(results: readonly ScenarioResult[]): Row[] {
  return CHECKS.map((check) => {
    const result = results.find((r) => r.scenario === check.scenario)
    const cell = result && !result.skipped ? check.pick(result.rows) : undefined
    const value = cell === undefined ? NaN : leading(cell)
    const goal = !check.required.startsWith('none')
    const see = check.profile ? `: see profiles/${check.profile}` : ''
    const status = !Number.isFinite(value) ? 'not measured' : !check.met ? ''
      : check.met(value) ? (goal ? 'met' : 'ahead')
      : (goal ? 'NOT met' : 'behind') + see
    return {
      target: check.target,
      required: check.required,
      measured: cell === undefined ? 'n/a' : String(cell),
      status,
      run: result ? `${result.date.slice(0, 16).replace('T', ' ')}${result.quick ? ' (quick)' : ''}` : '',
    }
  })
}

/** The median of a "median (min–max)" cell, or the number of a "2.3×" ratio. */
function leading(cell: string | number): number {
  if (typeof cell === 'number') return cell
  const m = /^-?[\d.]+(e-?\d+)?/.exec(cell.trim())
  return m ? Number(m[0]) : NaN
}

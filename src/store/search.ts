import { sql, type Engine, type Sql } from '../db/engine.ts'
import type { StoreContext } from './context.ts'
import { requireFolder } from './emails-read.ts'
import { StoreError } from './errors.ts'
import { KEYWORD_BITS } from './keywords.ts'
import type { AccountId, FolderId, SearchKey, SortKey } from './store.ts'
import { rangesCondition, MAX_UID } from './uid-sets.ts'

/** Nesting of NOT/OR/AND: a client sending NOT NOT NOT … ten thousand deep must not blow the stack. */
export const MAX_SEARCH_DEPTH = 64
/** Leaves of one search: each becomes SQL; bounds the statement a client can make us build. */
export const MAX_SEARCH_TERMS = 1000
/** Ids in one emailIds/threadIds key: each is a bound parameter, and engines cap those. */
export const MAX_SEARCH_IDS = 10_000

const DAY_MS = 86_400_000
const HEADER_COLUMNS: Readonly<Record<string, string>> = { from: 'e.from_text', to: 'e.to_text', cc: 'e.cc_text', bcc: 'e.bcc_text', subject: 'e.subject' }

/** A LIKE pattern matching `value` anywhere, with LIKE's own wildcards escaped. */
function contains(value: string): string {
  return '%' + value.replace(/[\\%_]/g, (c) => '\\' + c) + '%'
}

function dayStart(day: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN
  if (!Number.isFinite(time)) throw new StoreError('invalid', `Invalid day ${JSON.stringify(day)}`)
  return time
}

/** Translates a SearchKey into a condition over `m` (memberships) and `e` (emails). */
export function searchCondition(engine: Engine, key: SearchKey): Sql {
  let terms = 0
  const walk = (k: SearchKey, depth: number): Sql => {
    if (depth > MAX_SEARCH_DEPTH) throw new StoreError('limit', `Search nested deeper than ${MAX_SEARCH_DEPTH}`)
    if (++terms > MAX_SEARCH_TERMS) throw new StoreError('limit', `Search with more than ${MAX_SEARCH_TERMS} terms`)
    if (typeof k !== 'object' || k === null) throw new StoreError('invalid', 'Invalid search key')
    if ('all' in k) return sql`1 = 1`
    if ('uids' in k) {
      return rangesCondition('m.uid', k.uids.map((r) => [Math.max(1, r.start), r.end === Infinity ? MAX_UID : r.end] as [number, number]))
    }
    if ('keyword' in k) {
      const name = k.keyword.toLowerCase()
      const bit = KEYWORD_BITS[name]
      const has = bit ? sql`(m.flags & ${bit}) <> 0` : sql`(e.keywords IS NOT NULL AND e.keywords LIKE ${contains(JSON.stringify(k.keyword))} ESCAPE '\\')`
      return k.present ? has : sql`NOT ${has}`
    }
    if ('header' in k) {
      const field = k.header.toLowerCase()
      const column = HEADER_COLUMNS[field]
      if (column && k.contains !== '') return sql`${sql.raw(column)} LIKE ${contains(k.contains)} ESCAPE '\\'`
      return engine.headerContains('(SELECT x.header FROM email_meta x WHERE x.id = coalesce(e.text_id, e.id))', field, k.contains)
    }
    if ('text' in k) {
      // Words through the full-text index (substrings of words are not found, as with Dovecot's FTS).
      return sql`m.text_id IN (${engine.text.matching(k.text === 'body' ? 'body' : 'any', k.contains)})`
    }
    if ('date' in k) {
      const start = dayStart(k.day)
      const column = sql.raw(k.date === 'received' ? 'e.received_at' : 'e.sent_at')
      if (k.op === 'before') return sql`${column} < ${start}`
      if (k.op === 'since') return sql`${column} >= ${start}`
      return sql`(${column} >= ${start} AND ${column} < ${start + DAY_MS})`
    }
    if ('size' in k) return k.size === 'larger' ? sql`m.size > ${k.bytes}` : sql`m.size < ${k.bytes}`
    if ('modseqAtLeast' in k) return sql`m.modseq >= ${k.modseqAtLeast}`
    if ('emailIds' in k || 'threadIds' in k) {
      const ids = 'emailIds' in k ? k.emailIds : k.threadIds
      if (ids.length > MAX_SEARCH_IDS) throw new StoreError('limit', `More than ${MAX_SEARCH_IDS} ids in one search key`)
      if (!ids.every((id) => Number.isSafeInteger(id))) throw new StoreError('invalid', 'Search ids must be integers')
      return sql`${sql.raw('emailIds' in k ? 'e.id' : 'e.thread_id')} IN (${sql.list(ids)})`
    }
    if ('not' in k) return sql`NOT (${walk(k.not, depth + 1)})`
    if ('or' in k) return sql`((${walk(k.or[0], depth + 1)}) OR (${walk(k.or[1], depth + 1)}))`
    if ('and' in k) return k.and.length === 0 ? sql`1 = 1` : sql`(${sql.join(k.and.map((x) => walk(x, depth + 1)), ' AND ')})`
    throw new StoreError('invalid', 'Unknown search key')
  }
  return walk(key, 0)
}

/** Whether a key has a full-text term anywhere (too deep: `searchCondition` refuses it anyway). */
function mentionsText(key: SearchKey, depth: number): boolean {
  if (depth > MAX_SEARCH_DEPTH || typeof key !== 'object' || key === null) return false
  if ('text' in key) return true
  if ('not' in key) return mentionsText(key.not, depth + 1)
  if ('or' in key) return Array.isArray(key.or) && key.or.some((k) => mentionsText(k, depth + 1))
  if ('and' in key) return Array.isArray(key.and) && key.and.some((k) => mentionsText(k, depth + 1))
  return false
}

/** A text key that must match for the whole key to match (the key itself, or a member of a top-level AND). */
function requiredText(key: SearchKey): { text: 'body' | 'text'; contains: string; rest: SearchKey } | null {
  if ('text' in key) return { ...key, rest: { all: true } }
  if ('and' in key) {
    const index = key.and.findIndex((k) => 'text' in k)
    if (index < 0) return null
    const text = key.and[index] as { text: 'body' | 'text'; contains: string }
    return { ...text, rest: { and: key.and.filter((_, i) => i !== index) } }
  }
  return null
}

/**
 * Fewer full-text hits than this fraction of the folder: start from the hits (index lookups per
 * hit) rather than scanning the folder and testing each message against the hit set.
 */
const TEXT_DRIVEN_RATIO = 0.25

/** UIDs of the folder matching `key`, ascending. */
export async function searchFolder(ctx: StoreContext, account: AccountId, folder: FolderId, key: SearchKey): Promise<number[]> {
  await requireFolder(ctx, account, folder)
  // Mail delivered before this search may still be queued for the index: index it first.
  if (mentionsText(key, 0)) await ctx.indexer.catchUp()
  const text = requiredText(key)
  if (text) {
    const matching = ctx.engine.text.matching(text.text === 'body' ? 'body' : 'any', text.contains)
    const [hits, box] = await Promise.all([
      ctx.engine.one<{ n: number }>(sql`SELECT count(*) AS n FROM (${matching}) AS hits`),
      ctx.engine.one<{ n: number }>(sql`SELECT uid_next AS n FROM folders WHERE id = ${folder}`),
    ])
    if ((hits?.n ?? 0) < TEXT_DRIVEN_RATIO * (box?.n ?? 0)) {
      // CROSS JOIN fixes the join order (SQLite), so the plan starts from the hits.
      const rows = 'all' in text.rest
        ? await ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM (${matching}) AS hits CROSS JOIN memberships m
            WHERE m.text_id = hits.id AND m.folder_id = ${folder} ORDER BY m.uid`)
        : await textDriven(ctx, folder, matching, searchCondition(ctx.engine, text.rest))
      return rows.map((r) => r.uid)
    }
    if ('all' in text.rest) {
      // Only the folder's memberships are read: they carry the text id.
      const rows = await ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM memberships m
        WHERE m.folder_id = ${folder} AND m.text_id IN (${matching}) ORDER BY m.uid`)
      return rows.map((r) => r.uid)
    }
  }
  const where = searchCondition(ctx.engine, key)
  // Flags, sizes, UIDs, modseqs and text ids live on memberships: such searches skip the emails table.
  const join = usesEmails(where) ? sql`JOIN emails e ON e.id = m.email_id` : sql``
  const rows = await ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM memberships m ${join}
    WHERE m.folder_id = ${folder} AND ${where} ORDER BY m.uid`)
  return rows.map((r) => r.uid)
}

async function textDriven(ctx: StoreContext, folder: FolderId, matching: Sql, rest: Sql): Promise<Array<{ uid: number }>> {
  if (!usesEmails(rest)) {
    return ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM (${matching}) AS hits CROSS JOIN memberships m
      WHERE m.text_id = hits.id AND m.folder_id = ${folder} AND ${rest} ORDER BY m.uid`)
  }
  return ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM (${matching}) AS hits CROSS JOIN memberships m CROSS JOIN emails e
    WHERE m.text_id = hits.id AND m.folder_id = ${folder} AND e.id = m.email_id AND ${rest} ORDER BY m.uid`)
}

/** Whether a condition refers to the emails table (alias `e`, which only this module writes). */
function usesEmails(condition: Sql): boolean {
  return condition.strings.some((s) => /\be\./.test(s))
}

/** RFC 5256 sort keys as columns; strings compare with i;ascii-casemap (lower-cased). */
const SORT_COLUMNS: Readonly<Record<SortKey['key'], string>> = {
  arrival: 'e.received_at',
  cc: 'lower(e.cc_addr)',
  // A message without a usable Date: sorts by its internal date (RFC 5256 BASE.6.4.DATE).
  date: 'coalesce(e.sent_at, e.received_at)',
  from: 'lower(e.from_addr)',
  size: 'e.size',
  subject: 'lower(e.base_subject)',
  to: 'lower(e.to_addr)',
}

/** UIDs matching `key` in `sort` order, ties broken by UID ascending (RFC 5256 3). */
export async function sortFolder(
  ctx: StoreContext,
  account: AccountId,
  folder: FolderId,
  sort: readonly SortKey[],
  key: SearchKey,
): Promise<number[]> {
  await requireFolder(ctx, account, folder)
  if (mentionsText(key, 0)) await ctx.indexer.catchUp()
  const where = searchCondition(ctx.engine, key)
  const order = sort.map((s) => {
    const column = SORT_COLUMNS[s.key]
    if (!column) throw new StoreError('invalid', `Unknown sort key ${JSON.stringify(s.key)}`)
    return sql.raw(`${column} ${s.reverse ? 'DESC' : 'ASC'}`)
  })
  const orderBy = sql.join([...order.map((o) => sql`${o}`), sql`m.uid ASC`])
  const rows = await ctx.engine.all<{ uid: number }>(sql`SELECT m.uid FROM memberships m JOIN emails e ON e.id = m.email_id
    WHERE m.folder_id = ${folder} AND ${where} ORDER BY ${orderBy}`)
  return rows.map((r) => r.uid)
}

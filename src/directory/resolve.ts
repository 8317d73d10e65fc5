import { sql } from '../db/engine.ts'
import type { Destination, Recipient } from './directory.ts'
import { normalizeAddress, parseAddress, withoutSubaddress } from './addresses.ts'
import { PRINCIPAL_COLUMNS, principalRowByAddress, toPrincipal, type PrincipalRow, type Reader } from './principals.ts'

/** Nesting of groups and aliases followed; deeper members are dropped (a mistake, or an attack on expansion). */
export const MAX_EXPANSION_DEPTH = 16
/** Destinations one address may expand to: a group of groups must not multiply into millions. */
export const MAX_DESTINATIONS = 10_000
/** Domain alias hops followed (an alias of an alias); more is a configuration loop. */
const MAX_DOMAIN_ALIAS_HOPS = 4

interface DomainRow {
  name: string
  alias_of: string | null
  catch_all: string | null
}

/** The served domain a domain name stands for (following domain aliases), or null when not local. */
export async function localDomain(db: Reader, domain: string): Promise<DomainRow | null> {
  let name = domain
  for (let hop = 0; hop <= MAX_DOMAIN_ALIAS_HOPS; hop++) {
    const row = await db.one<DomainRow>(sql`SELECT name, alias_of, catch_all FROM domains WHERE name = ${name}`)
    if (!row) return null
    if (row.alias_of === null) return row
    name = row.alias_of
  }
  return null
}

/**
 * Resolves one address: a mailbox, an alias or a group (expanded to final destinations,
 * deduplicated, loop-safe), the domain's catch-all, a remote address, or unknown.
 * Subaddresses (`alice+tag@`, RFC 5233) resolve as their base address when nothing else matches.
 */
export async function resolveAddress(db: Reader, input: string): Promise<Recipient> {
  const address = normalizeAddress(input)
  const { local, domain } = parseAddress(address)
  const served = await localDomain(db, domain)
  if (!served) return { kind: 'remote', address }
  const base = withoutSubaddress(local)
  for (const candidate of base === null ? [local] : [local, base]) {
    const found = await lookup(db, `${candidate}@${served.name}`, address)
    if (found) return found
  }
  if (served.catch_all) {
    const target = await lookup(db, served.catch_all, address)
    if (target) return target
    return { kind: 'alias', address, members: await expand(db, [served.catch_all], new Set([address])) }
  }
  // RFC 5321 4.5.1: every domain must accept mail for postmaster; without such an address (or a
  // catch-all), it goes to an administrator, one of the domain's own first.
  if (local === 'postmaster') {
    const admin = await db.one<PrincipalRow>(sql`SELECT ${PRINCIPAL_COLUMNS} FROM principals p
      WHERE p.admin = 1 AND p.kind = 'user' ORDER BY (p.address LIKE ${'%@' + served.name}) DESC, p.id LIMIT 1`)
    if (admin) return { kind: 'mailbox', principal: await toPrincipal(db, admin), address }
  }
  return { kind: 'unknown', address }
}

async function lookup(db: Reader, canonical: string, address: string): Promise<Recipient | null> {
  const row = await principalRowByAddress(db, canonical)
  if (row) {
    const principal = await toPrincipal(db, row)
    if (row.kind !== 'group') return { kind: 'mailbox', principal, address }
    const members = await expand(db, await groupMembers(db, row.id), new Set([canonical, principal.address]))
    return { kind: 'group', principal, address, members, internalOnly: row.internal_only === 1 }
  }
  const targets = await aliasTargets(db, canonical)
  if (targets.length > 0) return { kind: 'alias', address, members: await expand(db, targets, new Set([canonical])) }
  return null
}

/** Expands addresses to final destinations, each once; `seen` holds addresses already followed. */
async function expand(db: Reader, addresses: readonly string[], seen: Set<string>): Promise<Destination[]> {
  const out: Destination[] = []
  const mailboxes = new Set<number>()
  const remotes = new Set<string>()

  const visit = async (input: string, depth: number): Promise<void> => {
    if (depth > MAX_EXPANSION_DEPTH || out.length >= MAX_DESTINATIONS) return
    let address: string
    try {
      address = normalizeAddress(input)
    } catch {
      return // A member that is not an address (written before validation existed) is skipped.
    }
    const { local, domain } = parseAddress(address)
    const served = await localDomain(db, domain)
    if (!served) {
      if (!remotes.has(address)) remotes.add(address), out.push({ kind: 'remote', address })
      return
    }
    const base = withoutSubaddress(local)
    for (const candidate of base === null ? [local] : [local, base]) {
      const canonical = `${candidate}@${served.name}`
      if (seen.has(canonical)) return // A loop (a group containing itself, directly or not).
      const row = await principalRowByAddress(db, canonical)
      if (row) {
        seen.add(canonical)
        if (row.kind === 'group') {
          seen.add(row.address)
          for (const member of await groupMembers(db, row.id)) await visit(member, depth + 1)
        } else if (!mailboxes.has(row.id)) {
          mailboxes.add(row.id)
          out.push({ kind: 'mailbox', principal: await toPrincipal(db, row), address })
        }
        return
      }
      const targets = await aliasTargets(db, canonical)
      if (targets.length > 0) {
        seen.add(canonical)
        for (const target of targets) await visit(target, depth + 1)
        return
      }
    }
  }

  for (const address of addresses) await visit(address, 1)
  return out
}

async function groupMembers(db: Reader, groupId: number): Promise<string[]> {
  const rows = await db.all<{ member: string }>(sql`SELECT member FROM group_members WHERE group_id = ${groupId} ORDER BY member`)
  return rows.map((r) => r.member)
}

async function aliasTargets(db: Reader, address: string): Promise<string[]> {
  const rows = await db.all<{ target: string }>(sql`SELECT target FROM aliases WHERE address = ${address} ORDER BY target`)
  return rows.map((r) => r.target)
}

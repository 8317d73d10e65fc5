import { sql, type Engine, type Tx } from '../db/engine.ts'
import type { Principal, PrincipalKind } from './directory.ts'
import { DirectoryError } from './errors.ts'
import { domainOf, normalizeAddress, normalizeDomain } from './addresses.ts'
import { DEFAULT_SCRYPT_PARAMS, hashPassword, MAX_PASSWORD_BYTES, type ScryptParams } from './passwords.ts'
import { PRINCIPAL_COLUMNS, principalRowByAddress, toPrincipal, type PrincipalRow, type Reader } from './principals.ts'

/** Members one group may list directly; nesting covers bigger audiences. */
export const MAX_GROUP_MEMBERS = 10_000

export interface Domain {
  name: string
  /** For a domain alias: the domain it stands for. */
  aliasOf: string | null
  catchAll: string | null
  principals: number
}

export interface NewUser {
  address: string
  password: string
  name?: string
  quotaBytes?: number | null
  admin?: boolean
}

export interface AliasRow {
  address: string
  target: string
}

/**
 * Writes to the directory: domains, principals, aliases, groups. Used only by `src/admin/` (CLI,
 * API) and test fixtures; protocols see `Directory`. Every method normalises its addresses and
 * throws DirectoryError ('invalid', 'exists', 'notFound') with a message fit for an operator.
 */
export class DirectoryAdmin {
  readonly #engine: Engine
  readonly #scrypt: ScryptParams

  constructor(engine: Engine, options: { scrypt?: ScryptParams } = {}) {
    this.#engine = engine
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
  }

  // Domains

  /** Adds a served domain, or with `aliasOf` a domain alias (mail to x@alias goes to x@target). */
  async addDomain(name: string, options: { aliasOf?: string } = {}): Promise<Domain> {
    const domain = normalizeDomain(name)
    const aliasOf = options.aliasOf === undefined ? null : normalizeDomain(options.aliasOf)
    await this.#engine.write(async (tx) => {
      if (await tx.one(sql`SELECT 1 FROM domains WHERE name = ${domain}`)) throw new DirectoryError('exists', `Domain ${domain} already exists`)
      if (aliasOf !== null) {
        const target = await tx.one<{ alias_of: string | null }>(sql`SELECT alias_of FROM domains WHERE name = ${aliasOf}`)
        if (!target) throw new DirectoryError('notFound', `Domain ${aliasOf} does not exist; add it first`)
        if (target.alias_of !== null) throw new DirectoryError('invalid', `Domain ${aliasOf} is itself an alias of ${target.alias_of}; alias that instead`)
      }
      await tx.run(sql`INSERT INTO domains (name, alias_of, created_at) VALUES (${domain}, ${aliasOf}, ${Date.now()})`)
    })
    return { name: domain, aliasOf, catchAll: null, principals: 0 }
  }

  async listDomains(): Promise<Domain[]> {
    const rows = await this.#engine.all<{ name: string; alias_of: string | null; catch_all: string | null; n: number }>(sql`
      SELECT d.name, d.alias_of, d.catch_all,
        (SELECT count(*) FROM principals p WHERE p.address LIKE '%@' || d.name) AS n
      FROM domains d ORDER BY d.name`)
    return rows.map((r) => ({ name: r.name, aliasOf: r.alias_of, catchAll: r.catch_all, principals: r.n }))
  }

  /** Removes a domain; refused while principals or aliases still use it (remove them first). */
  async removeDomain(name: string): Promise<void> {
    const domain = normalizeDomain(name)
    await this.#engine.write(async (tx) => {
      if (!(await tx.one(sql`SELECT 1 FROM domains WHERE name = ${domain}`))) throw new DirectoryError('notFound', `Domain ${domain} does not exist`)
      const used = await tx.one<{ n: number }>(sql`SELECT (SELECT count(*) FROM principals WHERE address LIKE ${'%@' + domain})
        + (SELECT count(*) FROM aliases WHERE address LIKE ${'%@' + domain}) AS n`)
      if (used && used.n > 0) throw new DirectoryError('invalid', `Domain ${domain} still has ${used.n} users, groups or aliases; remove them first`)
      await tx.run(sql`DELETE FROM domains WHERE name = ${domain}`)
    })
  }

  /** Mail to unknown local parts of `domain` goes to `target`; null turns it off. */
  async setCatchAll(name: string, target: string | null): Promise<void> {
    const domain = normalizeDomain(name)
    const address = target === null ? null : normalizeAddress(target)
    await this.#engine.write(async (tx) => {
      const result = await tx.run(sql`UPDATE domains SET catch_all = ${address} WHERE name = ${domain} AND alias_of IS NULL`)
      if (result.changes === 0) throw new DirectoryError('notFound', `Domain ${domain} does not exist (or is an alias)`)
    })
  }

  // Principals

  async addUser(user: NewUser): Promise<Principal> {
    checkPassword(user.password)
    const secret = await hashPassword(user.password, this.#scrypt)
    return this.#addPrincipal('user', user.address, { name: user.name, secret, quotaBytes: user.quotaBytes ?? null, admin: user.admin ?? false })
  }

  /** A shared mailbox: no password of its own, reached through delegation. */
  async addShared(options: { address: string; name?: string; quotaBytes?: number | null }): Promise<Principal> {
    return this.#addPrincipal('shared', options.address, { name: options.name, quotaBytes: options.quotaBytes ?? null })
  }

  async addResource(options: { address: string; name?: string; kind: 'room' | 'equipment' }): Promise<Principal> {
    return this.#addPrincipal(options.kind, options.address, { name: options.name })
  }

  /** A distribution group; `internalOnly` refuses senders from outside the local domains. */
  async addGroup(address: string, members: readonly string[], options: { name?: string; internalOnly?: boolean } = {}): Promise<Principal> {
    const normalized = normalizeMembers(members)
    return this.#addPrincipal('group', address, { name: options.name, internalOnly: options.internalOnly ?? false }, async (tx, id) => {
      for (const member of normalized) await tx.run(sql`INSERT INTO group_members (group_id, member) VALUES (${id}, ${member})`)
    })
  }

  async setGroupMembers(address: string, members: readonly string[]): Promise<Principal> {
    const normalized = normalizeMembers(members)
    const group = await this.#require(address, 'group')
    await this.#engine.write(async (tx) => {
      await tx.run(sql`DELETE FROM group_members WHERE group_id = ${group.id}`)
      for (const member of normalized) await tx.run(sql`INSERT INTO group_members (group_id, member) VALUES (${group.id}, ${member})`)
    })
    return group
  }

  async groupMembers(address: string): Promise<string[]> {
    const group = await this.#require(address, 'group')
    const rows = await this.#engine.all<{ member: string }>(sql`SELECT member FROM group_members WHERE group_id = ${group.id} ORDER BY member`)
    return rows.map((r) => r.member)
  }

  async listPrincipals(options: { kind?: PrincipalKind; domain?: string } = {}): Promise<Principal[]> {
    const kind = options.kind ?? null
    const domain = options.domain === undefined ? null : '%@' + normalizeDomain(options.domain)
    const rows = await this.#engine.all<PrincipalRow>(sql`SELECT ${PRINCIPAL_COLUMNS} FROM principals p
      WHERE (${kind} IS NULL OR p.kind = ${kind}) AND (${domain} IS NULL OR p.address LIKE ${domain}) ORDER BY p.address`)
    return Promise.all(rows.map((row) => toPrincipal(this.#engine, row)))
  }

  /** The principal at `address` (any of its addresses); DirectoryError 'notFound' when none. */
  async getPrincipal(address: string): Promise<Principal> {
    return this.#require(address)
  }

  async setPassword(address: string, password: string): Promise<void> {
    checkPassword(password)
    const principal = await this.#require(address)
    const secret = await hashPassword(password, this.#scrypt)
    await this.#engine.write((tx) => tx.run(sql`UPDATE principals SET secret = ${secret} WHERE id = ${principal.id}`))
  }

  async setDisabled(address: string, disabled: boolean): Promise<Principal> {
    const principal = await this.#require(address)
    await this.#engine.write((tx) => tx.run(sql`UPDATE principals SET disabled = ${disabled ? 1 : 0} WHERE id = ${principal.id}`))
    return { ...principal, disabled }
  }

  async setQuota(address: string, quotaBytes: number | null): Promise<Principal> {
    const principal = await this.#require(address)
    await this.#engine.write((tx) => tx.run(sql`UPDATE principals SET quota_bytes = ${quotaBytes} WHERE id = ${principal.id}`))
    return { ...principal, quotaBytes }
  }

  /** Adds a proxy address the principal also answers to (and may log in and send with). */
  async addAddress(address: string, extra: string): Promise<Principal> {
    const principal = await this.#require(address)
    const proxy = normalizeAddress(extra)
    await this.#engine.write(async (tx) => {
      await this.#checkLocalAndFree(tx, proxy)
      await tx.run(sql`INSERT INTO addresses (address, principal_id) VALUES (${proxy}, ${principal.id})`)
    })
    return this.#require(address)
  }

  /**
   * Removes a principal with its addresses and group memberships. The caller removes the store
   * account first (`store.accounts.remove`) so blob references are released.
   */
  async removePrincipal(address: string): Promise<Principal> {
    const principal = await this.#require(address)
    await this.#engine.write(async (tx) => {
      await tx.run(sql`DELETE FROM group_members WHERE member IN (${sql.list(principal.addresses)})`)
      await tx.run(sql`DELETE FROM principals WHERE id = ${principal.id}`)
    })
    return principal
  }

  // Aliases

  /** Mail to `address` (in a local domain) is forwarded to `target` (local or remote); one alias may have several targets. */
  async addAlias(address: string, target: string): Promise<AliasRow> {
    const from = normalizeAddress(address)
    const to = normalizeAddress(target)
    if (from === to) throw new DirectoryError('invalid', `An alias cannot point to itself (${from})`)
    await this.#engine.write(async (tx) => {
      if (await tx.one(sql`SELECT 1 FROM aliases WHERE address = ${from} AND target = ${to}`)) {
        throw new DirectoryError('exists', `Alias ${from} → ${to} already exists`)
      }
      const existing = await tx.one(sql`SELECT 1 FROM aliases WHERE address = ${from}`)
      if (!existing) await this.#checkLocalAndFree(tx, from)
      await tx.run(sql`INSERT INTO aliases (address, target) VALUES (${from}, ${to})`)
    })
    return { address: from, target: to }
  }

  /** Removes one target of an alias, or (no target) the whole alias. */
  async removeAlias(address: string, target?: string): Promise<void> {
    const from = normalizeAddress(address)
    const to = target === undefined ? null : normalizeAddress(target)
    await this.#engine.write(async (tx) => {
      const result = await tx.run(sql`DELETE FROM aliases WHERE address = ${from} AND (${to} IS NULL OR target = ${to})`)
      if (result.changes === 0) throw new DirectoryError('notFound', `Alias ${from}${to ? ' → ' + to : ''} does not exist`)
    })
  }

  async listAliases(): Promise<AliasRow[]> {
    return this.#engine.all<AliasRow>(sql`SELECT address, target FROM aliases ORDER BY address, target`)
  }

  /** Totals for `tidings status`. */
  async counts(): Promise<{ domains: number; users: number; groups: number; aliases: number }> {
    const row = await this.#engine.one<{ domains: number; users: number; groups: number; aliases: number }>(sql`SELECT
      (SELECT count(*) FROM domains) AS domains,
      (SELECT count(*) FROM principals WHERE kind <> 'group') AS users,
      (SELECT count(*) FROM principals WHERE kind = 'group') AS groups,
      (SELECT count(DISTINCT address) FROM aliases) AS aliases`)
    return row ?? { domains: 0, users: 0, groups: 0, aliases: 0 }
  }

  async #addPrincipal(
    kind: PrincipalKind,
    address: string,
    fields: { name?: string; secret?: string; quotaBytes?: number | null; admin?: boolean; internalOnly?: boolean },
    more?: (tx: Tx, id: number) => Promise<void>,
  ): Promise<Principal> {
    const primary = normalizeAddress(address)
    const name = (fields.name ?? '').trim()
    const id = await this.#engine.write(async (tx) => {
      await this.#checkLocalAndFree(tx, primary)
      const result = await tx.run(sql`INSERT INTO principals (kind, address, name, secret, quota_bytes, admin, internal_only, created_at)
        VALUES (${kind}, ${primary}, ${name}, ${fields.secret ?? null}, ${fields.quotaBytes ?? null}, ${fields.admin ? 1 : 0},
          ${fields.internalOnly ? 1 : 0}, ${Date.now()})`)
      await tx.run(sql`INSERT INTO addresses (address, principal_id) VALUES (${primary}, ${result.lastInsertRowid})`)
      if (more) await more(tx, result.lastInsertRowid)
      return result.lastInsertRowid
    })
    const row = await this.#engine.one<PrincipalRow>(sql`SELECT ${PRINCIPAL_COLUMNS} FROM principals p WHERE p.id = ${id}`)
    return toPrincipal(this.#engine, row!)
  }

  /** An address can be given out only in a served domain (not an alias domain) and only once. */
  async #checkLocalAndFree(tx: Reader, address: string): Promise<void> {
    const domain = domainOf(address)
    const row = await tx.one<{ alias_of: string | null }>(sql`SELECT alias_of FROM domains WHERE name = ${domain}`)
    if (!row) throw new DirectoryError('notFound', `Domain ${domain} is not served here; add it with: tidings domain add ${domain}`)
    if (row.alias_of !== null) throw new DirectoryError('invalid', `Domain ${domain} is an alias of ${row.alias_of}; use ${address.replace(/@[^@]+$/, '@' + row.alias_of)}`)
    if (await tx.one(sql`SELECT 1 FROM addresses WHERE address = ${address}`)) throw new DirectoryError('exists', `${address} already exists`)
    if (await tx.one(sql`SELECT 1 FROM aliases WHERE address = ${address}`)) throw new DirectoryError('exists', `${address} already exists as an alias`)
  }

  async #require(address: string, kind?: PrincipalKind): Promise<Principal> {
    const normalized = normalizeAddress(address)
    const row = await principalRowByAddress(this.#engine, normalized)
    if (!row || (kind && row.kind !== kind)) throw new DirectoryError('notFound', `No ${kind ?? 'user or group'} ${normalized}`)
    return toPrincipal(this.#engine, row)
  }
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new DirectoryError('invalid', 'The password is empty')
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new DirectoryError('invalid', `The password is longer than ${MAX_PASSWORD_BYTES} bytes`)
}

function normalizeMembers(members: readonly string[]): string[] {
  if (members.length > MAX_GROUP_MEMBERS) throw new DirectoryError('invalid', `A group may list at most ${MAX_GROUP_MEMBERS} members directly; nest groups for more`)
  return [...new Set(members.map((m) => normalizeAddress(m)))]
}

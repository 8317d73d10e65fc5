import { sql, type Sql } from '../db/engine.ts'
import type { Principal, PrincipalKind } from './directory.ts'

/** What both the engine and a transaction can do: read. */
export interface Reader {
  all<R>(query: Sql): Promise<R[]>
  one<R>(query: Sql): Promise<R | undefined>
}

export interface PrincipalRow {
  id: number
  kind: PrincipalKind
  address: string
  name: string
  secret: string | null
  quota_bytes: number | null
  quota_messages: number | null
  disabled: number
  admin: number
  internal_only: number
}

export const PRINCIPAL_COLUMNS = sql.raw('p.id, p.kind, p.address, p.name, p.secret, p.quota_bytes, p.quota_messages, p.disabled, p.admin, p.internal_only')

export async function principalRowById(db: Reader, id: number): Promise<PrincipalRow | undefined> {
  return db.one<PrincipalRow>(sql`SELECT ${PRINCIPAL_COLUMNS} FROM principals p WHERE p.id = ${id}`)
}

/** The principal answering to a normalised address (primary or proxy). */
export async function principalRowByAddress(db: Reader, address: string): Promise<PrincipalRow | undefined> {
  return db.one<PrincipalRow>(sql`SELECT ${PRINCIPAL_COLUMNS} FROM addresses a JOIN principals p ON p.id = a.principal_id
    WHERE a.address = ${address}`)
}

export async function toPrincipal(db: Reader, row: PrincipalRow): Promise<Principal> {
  const rows = await db.all<{ address: string }>(sql`SELECT address FROM addresses WHERE principal_id = ${row.id} ORDER BY address`)
  const others = rows.map((r) => r.address).filter((a) => a !== row.address)
  return {
    id: row.id,
    kind: row.kind,
    address: row.address,
    name: row.name,
    disabled: row.disabled === 1,
    admin: row.admin === 1,
    quotaBytes: row.quota_bytes,
    quotaMessages: row.quota_messages,
    addresses: [row.address, ...others],
  }
}

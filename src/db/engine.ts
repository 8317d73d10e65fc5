/**
 * The only seam the SQLite and PostgreSQL engines implement. The store and the directory are
 * written once over it; protocol code never sees it.
 */

/** A parameterised query: `sql\`SELECT … WHERE id = ${id}\``. Each engine renders `?` or `$1`. */
export interface Sql {
  readonly strings: readonly string[]
  readonly values: readonly SqlValue[]
}

export type SqlValue = string | number | bigint | null | Uint8Array

/** Marks a fragment that is spliced in verbatim (identifiers chosen by code, never by users). */
export interface RawSql {
  readonly raw: string
}

export function sql(strings: TemplateStringsArray, ...values: Array<SqlValue | Sql | RawSql>): Sql {
  const outStrings: string[] = [strings[0]]
  const outValues: SqlValue[] = []
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (isSql(value)) {
      // Splice a nested fragment: its first string joins our current one.
      outStrings[outStrings.length - 1] += value.strings[0]
      for (let j = 0; j < value.values.length; j++) {
        outValues.push(value.values[j])
        outStrings.push(value.strings[j + 1])
      }
      outStrings[outStrings.length - 1] += strings[i + 1]
    } else if (isRaw(value)) {
      outStrings[outStrings.length - 1] += value.raw + strings[i + 1]
    } else {
      outValues.push(value)
      outStrings.push(strings[i + 1])
    }
  }
  return { strings: outStrings, values: outValues }
}

/** Verbatim SQL; only for text chosen by code. */
sql.raw = (raw: string): RawSql => ({ raw })

/** `a, b, c` as bound values, for `IN (${sql.list(ids)})`. */
sql.list = (values: readonly SqlValue[]): Sql => {
  if (values.length === 0) return { strings: ['NULL'], values: [] }
  const strings = ['']
  for (let i = 1; i < values.length; i++) strings.push(', ')
  strings.push('')
  return { strings, values: [...values] }
}

/**
 * Rows of bound values for a multi-row `VALUES ${sql.rows(rows)}`: `(?, ?), (?, ?)`. Built flat
 * (one pass), since a batch insert has thousands of values.
 */
sql.rows = (rows: ReadonlyArray<readonly SqlValue[]>): Sql => {
  const strings: string[] = []
  const values: SqlValue[] = []
  let pending = '('
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    if (r > 0) pending += ', ('
    for (let c = 0; c < row.length; c++) {
      strings.push(c === 0 ? pending : ', ')
      values.push(row[c])
    }
    pending = ')'
  }
  strings.push(pending === '(' ? '' : pending)
  return { strings, values }
}

/** Joins fragments with a separator. */
sql.join = (parts: readonly Sql[], separator = ', '): Sql => {
  if (parts.length === 0) return { strings: [''], values: [] }
  let out: Sql = parts[0]
  for (let i = 1; i < parts.length; i++) out = sql`${out}${sql.raw(separator)}${parts[i]}`
  return out
}

function isSql(value: unknown): value is Sql {
  return typeof value === 'object' && value !== null && 'strings' in value && 'values' in value
}
function isRaw(value: unknown): value is RawSql {
  return typeof value === 'object' && value !== null && 'raw' in value && !(value instanceof Uint8Array)
}

export type Row = Record<string, SqlValue>

/** Queries inside a write transaction. */
export interface Tx {
  all<R = Row>(query: Sql): Promise<R[]>
  one<R = Row>(query: Sql): Promise<R | undefined>
  run(query: Sql): Promise<{ changes: number; lastInsertRowid: number }>
}

/** Full-text index: FTS5 on SQLite, tsvector on PostgreSQL, behind the same calls. */
export interface TextIndex {
  /** Replaces the indexed text of a document. */
  put(tx: Tx, id: number, doc: TextDocument): Promise<void>
  remove(tx: Tx, id: number): Promise<void>
  /** A fragment selecting the ids (column `id`) of documents matching all words of `query` in `field`. */
  matching(field: TextField, query: string): Sql
}
export const TEXT_FIELDS = ['subject', 'addresses', 'body', 'attachments', 'any'] as const
export type TextField = (typeof TEXT_FIELDS)[number]
export interface TextDocument {
  subject: string
  addresses: string
  body: string
  attachments: string
}

export interface Engine {
  readonly kind: 'sqlite' | 'postgres'
  all<R = Row>(query: Sql): Promise<R[]>
  one<R = Row>(query: Sql): Promise<R | undefined>
  /**
   * Runs `work` in a transaction and resolves only once it is durable. Concurrent calls share one
   * commit (group commit); each runs inside its own savepoint so one failure rolls back only itself.
   */
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  readonly text: TextIndex
  /**
   * A condition: the raw header block in `column` (code-chosen, e.g. 'e.header') has a field
   * `name` whose decoded value contains `value` case-insensitively; '' = the field is present.
   */
  headerContains(column: string, name: string, value: string): Sql
  /** Applies pending migrations; refuses a database made by a newer version. */
  migrate(): Promise<{ from: number; to: number }>
  /** The schema version of the open database. */
  schemaVersion(): Promise<number>
  /** Online snapshot of the database into a file (backup). */
  close(): Promise<void>
}

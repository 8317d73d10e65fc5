/**
 * The `--csv users.csv` list for migrating many mailboxes: one line per user,
 * `user,password_file,to` (a header line naming the columns is optional; a `password` column may
 * replace `password_file`). Quoted fields as RFC 4180 has them.
 */
import { readFile } from 'node:fs/promises'

/** Lines accepted: a runaway file must not become a runaway migration. */
const MAX_ROWS = 100_000

export interface MigrationRow {
  line: number
  user: string
  to: string
  password?: string
  passwordFile?: string
}

export async function readUsersCsv(path: string): Promise<MigrationRow[]> {
  const text = await readFile(path, 'utf8')
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, fields: splitCsvLine(l) })).filter((l) => l.fields.some((f) => f.trim() !== ''))
  let columns = ['user', 'password_file', 'to']
  if (lines.length > 0 && lines[0].fields.some((f) => /^(user|to|password|password_file)$/i.test(f.trim()))) {
    columns = lines.shift()!.fields.map((f) => f.trim().toLowerCase())
  }
  for (const need of ['user', 'to']) if (!columns.includes(need)) throw new Error(`${path}: no "${need}" column`)
  if (!columns.includes('password') && !columns.includes('password_file')) throw new Error(`${path}: no "password_file" (or "password") column`)
  if (lines.length > MAX_ROWS) throw new Error(`${path}: more than ${MAX_ROWS} lines`)
  return lines.map(({ n, fields }) => {
    const get = (name: string) => {
      const i = columns.indexOf(name)
      return i === -1 ? undefined : fields[i]?.trim()
    }
    const row: MigrationRow = { line: n, user: get('user') ?? '', to: get('to') ?? '', password: get('password'), passwordFile: get('password_file') }
    if (!row.user || !row.to || (!row.password && !row.passwordFile)) throw new Error(`${path} line ${n}: needs user, to and a password or password_file`)
    return row
  })
}

/** One CSV line into fields (RFC 4180 quoting; no newlines inside fields). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      out.push(field)
      field = ''
    } else field += c
  }
  out.push(field)
  return out
}

/** The first line of a password file (trailing newline and CR removed). */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new Error(`Cannot read password file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const password = text.split(/\r?\n/)[0]
  if (!password) throw new Error(`Password file ${path} is empty`)
  return password
}

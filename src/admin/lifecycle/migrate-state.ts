/**
 * Where an IMAP migration got to, per source folder: its UIDVALIDITY and the highest UID copied.
 * A JSON file under the data directory (`migrate/<account>/<host>-<port>-<user>.json`), replaced
 * atomically after every batch, so a run that dies anywhere resumes after its last batch. A
 * changed UIDVALIDITY (RFC 9051 2.3.1.1: the old UIDs mean nothing) restarts the folder from
 * UID 1; the content-hash check then skips what was already copied.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** A state file bigger than this is not ours: stops a hostile file being parsed whole. */
const MAX_STATE_BYTES = 16 * 1024 * 1024

export interface FolderState {
  uidValidity: string
  lastUid: number
}

export interface MigrationState {
  version: 1
  folders: Record<string, FolderState>
}

export function stateFile(dataDir: string, account: string, source: { host: string; port: number; user: string }): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9@._+-]/g, '_')
  return join(dataDir, 'migrate', safe(account), `${safe(source.host)}-${source.port}-${safe(source.user)}.json`)
}

export async function readState(path: string): Promise<MigrationState> {
  try {
    const bytes = await readFile(path)
    if (bytes.length > MAX_STATE_BYTES) throw new Error(`${path} is too big to be a migration state file`)
    const parsed = JSON.parse(bytes.toString('utf8')) as MigrationState
    if (parsed?.version !== 1 || typeof parsed.folders !== 'object') throw new Error(`${path} is not a migration state file`)
    return parsed
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, folders: {} }
    throw error
  }
}

export async function writeState(path: string, state: MigrationState): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = path + '.tmp'
  await writeFile(tmp, JSON.stringify(state, null, 1))
  await rename(tmp, path)
}

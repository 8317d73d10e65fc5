import { statSync } from 'node:fs'
import type { Command } from 'commander'
import { sql } from '../../db/engine.ts'
import { withExistingAdmin } from './context.ts'
import { runningServer } from './pid-file.ts'
import { formatBytes } from './user.ts'

/** `tidings status`: what is in the data directory and whether a server is running on it. */
export function registerStatus(program: Command): void {
  program.command('status')
    .description('Show counts, the data directory, schema version, database size and whether a server runs')
    .action((_options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const counts = await admin.admin.counts()
      // Totals straight from the accounts table: the store keeps them exact at every write.
      const mail = await admin.engine.one<{ accounts: number; bytes: number | null; messages: number | null }>(
        sql`SELECT count(*) AS accounts, sum(used_bytes) AS bytes, sum(used_messages) AS messages FROM accounts`)
      const dbBytes = ['', '-wal'].reduce((sum, suffix) => sum + fileSize(admin.engine.path + suffix), 0)
      const server = runningServer(admin.dataDir)
      const value = {
        dataDir: admin.dataDir,
        database: admin.engine.path,
        schemaVersion: await admin.engine.schemaVersion(),
        databaseBytes: dbBytes,
        ...counts,
        mailboxes: mail?.accounts ?? 0,
        messages: mail?.messages ?? 0,
        storedBytes: mail?.bytes ?? 0,
        running: server !== null,
        server,
      }
      admin.print([
        `Data directory:  ${value.dataDir}`,
        `Database:        ${value.database} (${formatBytes(dbBytes)}, schema version ${value.schemaVersion})`,
        `Domains:         ${counts.domains}`,
        `Users:           ${counts.users}   Groups: ${counts.groups}   Aliases: ${counts.aliases}`,
        `Mail:            ${value.messages} messages, ${formatBytes(value.storedBytes)} in ${value.mailboxes} mailboxes`,
        server
          ? `Server:          running (pid ${server.pid}, since ${server.startedAt}) ${Object.entries(server.listening).map(([k, v]) => `${k}=${v}`).join(' ')}`
          : 'Server:          not running',
      ], value)
    }))
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

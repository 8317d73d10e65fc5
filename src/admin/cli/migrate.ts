import type { Command } from 'commander'
import { migrateImap, type FolderMigration, type ImapSource, type MigrationReport, type TlsMode } from '../lifecycle/migrate-imap.ts'
import { stateFile } from '../lifecycle/migrate-state.ts'
import { readPasswordFile, readUsersCsv } from '../lifecycle/migrate-csv.ts'
import { accountOf } from '../lifecycle/account-of.ts'
import { formatBytes, terminalProgress } from '../lifecycle/progress.ts'
import type { AdminContext } from './context.ts'

interface MigrateOptions {
  host: string
  port?: string
  user?: string
  passwordFile?: string
  to?: string
  tls?: boolean
  starttls?: boolean
  insecure?: boolean
  csv?: string
}

/** `tidings migrate imap --host … --user … --password-file … --to alice@example.test`. */
export function registerMigrate(program: Command, open: () => Promise<AdminContext>): void {
  const migrate = program.command('migrate').description('Copy mailboxes from another server')
  migrate.command('imap')
    .description('Copy every folder, flag, keyword and internal date from an IMAP server; resumable and incremental')
    .requiredOption('--host <host>', 'source IMAP server')
    .option('--port <port>', 'source port (default 993 with --tls, else 143)')
    .option('--user <user>', 'source login')
    .option('--password-file <file>', 'file whose first line is the source password')
    .option('--to <address>', 'Tidings user that receives the mail')
    .option('--tls', 'implicit TLS (IMAPS)')
    .option('--starttls', 'require STARTTLS (default: use it when offered)')
    .option('--insecure', 'accept any TLS certificate')
    .option('--csv <file>', 'many users: lines of user,password_file,to')
    .action(async (options: MigrateOptions) => {
      if (options.tls && options.starttls) throw new Error('Use --tls or --starttls, not both')
      const tls: TlsMode = options.tls ? 'implicit' : options.starttls ? 'starttls' : 'auto'
      const port = options.port === undefined ? (tls === 'implicit' ? 993 : 143) : Number(options.port)
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be 1-65535, got "${options.port}"`)
      const jobs: Array<{ user: string; to: string; password: () => Promise<string> }> = []
      if (options.csv) {
        for (const row of await readUsersCsv(options.csv)) {
          jobs.push({ user: row.user, to: row.to, password: async () => row.password ?? (await readPasswordFile(row.passwordFile as string)) })
        }
      } else {
        if (!options.user || !options.passwordFile || !options.to) throw new Error('migrate imap needs --user, --password-file and --to (or --csv)')
        const file = options.passwordFile
        jobs.push({ user: options.user, to: options.to, password: () => readPasswordFile(file) })
      }
      const admin = await open()
      const results: Array<{ user: string; to: string; report?: MigrationReport; error?: string }> = []
      try {
        for (const job of jobs) {
          try {
            const account = await accountOf(admin, job.to)
            const source: ImapSource = { host: options.host, port, user: job.user, password: await job.password(), tls, insecure: options.insecure === true }
            const progress = terminalProgress()
            const started = Date.now()
            const report = await migrateImap({
              store: admin.store,
              blobs: admin.blobs,
              account,
              source,
              stateFile: stateFile(admin.dataDir, job.to, source),
              onProgress: (copied, folder) => progress.update(`  ${job.user}: ${copied} messages copied — ${folder}`),
              onFolder: (f) => {
                progress.done()
                if (!admin.json) process.stdout.write(folderLine(f) + '\n')
              },
            })
            progress.done()
            const seconds = (Date.now() - started) / 1000
            results.push({ user: job.user, to: job.to, report })
            admin.print([
              `${job.user}@${options.host} → ${job.to}: ${report.copied} copied (${formatBytes(report.bytes)}) in ${seconds.toFixed(1)} s, ` +
                `${report.duplicates} already there, ${report.failed.length} failed`,
              ...report.failed.slice(0, 50).map((p) => `  skipped ${p.label}: ${p.error}`),
              ...(report.aborted ? [`  stopped: ${report.aborted}; run the same command again to resume`] : []),
            ], { user: job.user, to: job.to, seconds, ...report })
          } catch (error) {
            results.push({ user: job.user, to: job.to, error: (error as Error).message })
            if (jobs.length === 1) throw error
            admin.print(`${job.user} → ${job.to}: ${(error as Error).message}`, { user: job.user, to: job.to, error: (error as Error).message })
          }
        }
      } finally {
        await admin.close()
      }
      if (results.some((r) => r.error || r.report?.aborted || r.report?.failed.length || r.report?.folders.some((f) => f.error))) process.exitCode = 1
    })
}

function folderLine(f: FolderMigration): string {
  const target = f.target !== f.folder ? ` → ${f.target}` : ''
  if (f.error) return `  ${f.folder}${target}: ERROR ${f.error} (${f.copied} copied before it)`
  return `  ${f.folder}${target}: ${f.messages} messages, ${f.copied} copied, ${f.alreadyCopied} copied by an earlier run, ${f.duplicates} already there` +
    (f.failed ? `, ${f.failed} failed` : '')
}

import type { Command } from 'commander'
import { join } from 'node:path'
import { backup } from '../lifecycle/backup.ts'
import { restore } from '../lifecycle/restore.ts'
import { capped, formatBytes } from '../lifecycle/progress.ts'
import { configFrom, type AdminContext } from './context.ts'

/** `tidings backup <dir> [--incremental-from <previous>]` and `tidings restore <dir> --data <new>`. */
export function registerBackup(program: Command, open: () => Promise<AdminContext>): void {
  program.command('backup <dir>')
    .description('Consistent online snapshot (database + blobs + manifest.json) into a new directory; safe while serve runs')
    .option('--incremental-from <previous>', 'hard-link unchanged blobs from this earlier backup')
    .action(async (dir: string, options: { incrementalFrom?: string }) => {
      const admin = await open()
      try {
        const manifest = await backup({
          engine: admin.engine, blobDir: admin.blobs.dir, queueDir: join(admin.dataDir, 'queue'), tlsDir: join(admin.dataDir, 'tls'), dir, incrementalFrom: options.incrementalFrom,
        })
        const b = manifest.blobs
        admin.print([
          `Backed up ${manifest.counts.accounts} accounts, ${manifest.counts.emails} emails, ${manifest.counts.blobs} blobs ` +
            `(${formatBytes(b.bytes)} + database ${formatBytes(manifest.db.size)}) to ${dir} in ${(manifest.durationMs / 1000).toFixed(1)} s`,
          `  blobs: ${b.linked} hard-linked, ${b.copied} copied${options.incrementalFrom ? `, ${b.reused} reused from ${options.incrementalFrom}` : ''}`,
          ...(manifest.queue ? [`  outbound queue: ${manifest.queue.messages} messages`] : []),
          ...b.missing.map((id) => `  missing from the data directory (not backed up): blob ${id}`),
          ...(manifest.queue?.missing ?? []).map((id) => `  missing from the queue spool (not backed up): ${id}`),
        ], manifest)
        if (b.missing.length > 0 || (manifest.queue?.missing.length ?? 0) > 0) process.exitCode = 1
      } finally {
        await admin.close()
      }
    })

  program.command('restore <backup>')
    .description('Rebuild a data directory (given with --data; must be new or empty) from a backup, checking every blob')
    .action(async (from: string, _options: unknown, command: Command) => {
      const { config, json } = configFrom(command)
      const dataDir = config.string('data_dir')
      const report = await restore({ from, dataDir })
      const damagedMessages = report.damaged.flatMap((d) => d.messages.map((m) =>
        `  ${d.reason} blob ${d.id.slice(0, 12)}…: ${m.account} ${JSON.stringify(m.folder)} UID ${m.uid} ${JSON.stringify(m.subject)}`))
      const lines = [
        `Restored ${report.manifest.counts.accounts} accounts and ${report.blobs} blobs from ${from} (made ${report.manifest.createdAt}) into ${dataDir}`,
        ...(report.damaged.length === 0
          ? [`All blobs match their hashes. Check with: tidings verify --data ${dataDir}`]
          : [`${report.damaged.length} blobs were missing or corrupt; these messages could not be restored:`, ...capped(damagedMessages)]),
        ...report.damagedQueue.map((q) => `  queued message(s) ${q.queueIds.join(', ')}: spool file ${q.reason}`),
      ]
      if (json) process.stdout.write(JSON.stringify({ ...report, dataDir: join(dataDir) }) + '\n')
      else process.stdout.write(lines.join('\n') + '\n')
      if (report.damaged.length > 0 || report.damagedQueue.length > 0) process.exitCode = 1
    })
}

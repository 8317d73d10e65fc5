import type { Command } from 'commander'
import { EXPORT_FORMATS, exportAccount, type ExportFormat } from '../lifecycle/export.ts'
import { capped, formatBytes, terminalProgress } from '../lifecycle/progress.ts'
import { accountOf } from '../lifecycle/account-of.ts'
import type { AdminContext } from './context.ts'

/** `tidings export alice@example.test --format mbox|maildir|eml <dir>`. */
export function registerExport(program: Command, open: () => Promise<AdminContext>): void {
  program.command('export <address> <dir>')
    .description('Write a mailbox out as mbox (mboxrd), Maildir++ or .eml files, flags and folders kept')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'mbox')
    .action(async (address: string, dir: string, options: { format: string }) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
        throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${options.format}"`)
      }
      const admin = await open()
      try {
        const account = await accountOf(admin, address)
        const progress = terminalProgress()
        const summary = await exportAccount(admin.store, account, {
          format: options.format as ExportFormat,
          dir,
          onProgress: (done, folder) => progress.update(`  ${done} messages exported — ${folder}`),
        })
        progress.done()
        admin.print([
          `Exported ${summary.messages} messages (${formatBytes(summary.bytes)}) in ${summary.folders.length} folders of ${address} to ${dir} as ${options.format}`,
          ...summary.folders.map((f) => `  ${f.folder}: ${f.messages}${f.failed ? `, ${f.failed} failed` : ''}`),
          ...capped(summary.failed.map((p) => `  skipped ${p.folder}${p.uid === null ? '' : ` UID ${p.uid}`}: ${p.error}`)),
          ...(summary.droppedKeywords.length ? [`  keywords Maildir could not keep (26 per folder): ${summary.droppedKeywords.join(' ')}`] : []),
          ...(summary.skippedFolders.length ? [`  not exported (calendar/contacts/tasks/notes export comes later): ${summary.skippedFolders.join(', ')}`] : []),
        ], summary)
        if (summary.failed.length > 0) process.exitCode = 1
      } finally {
        await admin.close()
      }
    })
}

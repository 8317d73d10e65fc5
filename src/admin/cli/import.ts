import type { Command } from 'commander'
import { IMPORT_FORMATS, openSource, type ImportFormat } from '../lifecycle/open-source.ts'
import { importMessages } from '../lifecycle/import.ts'
import { capped, formatBytes, terminalProgress } from '../lifecycle/progress.ts'
import { accountOf } from '../lifecycle/account-of.ts'
import type { AdminContext } from './context.ts'

interface ImportOptions {
  format: string
  mboxo?: boolean
  folder?: string
}

/** `tidings import alice@example.test <path>`: mbox, Maildir or a folder of .eml; idempotent. */
export function registerImport(program: Command, open: () => Promise<AdminContext>): void {
  program.command('import <address> <path>')
    .description('Import an mbox file, a Maildir (Dovecot/Courier) or a directory of .eml/.mbox files; re-running adds nothing twice')
    .option('--format <format>', `one of ${IMPORT_FORMATS.join(', ')}`, 'auto')
    .option('--mboxo', 'the mbox is mboxo (only ">From " was quoted), not mboxrd')
    .option('--folder <folder>', 'target folder for a single mbox file', 'INBOX')
    .action(async (address: string, path: string, options: ImportOptions) => {
      if (!(IMPORT_FORMATS as readonly string[]).includes(options.format)) {
        throw new Error(`--format must be one of ${IMPORT_FORMATS.join(', ')}, got "${options.format}"`)
      }
      // The source is checked before the data dir is opened: a wrong file fails fast and clean.
      const source = await openSource(path, { format: options.format as ImportFormat, variant: options.mboxo ? 'mboxo' : 'mboxrd', folder: options.folder })
      const admin = await open()
      try {
        const account = await accountOf(admin, address)
        const progress = terminalProgress()
        const started = Date.now()
        const summary = await importMessages(admin.store, account, source.items, {
          blobs: admin.blobs,
          onProgress: (p) => progress.update(`  ${p.seen} messages: ${p.imported} new, ${p.duplicates} already there, ${p.failed} failed — ${p.folder}`),
        })
        progress.done()
        const seconds = (Date.now() - started) / 1000
        admin.print([
          `Imported ${summary.imported} messages (${formatBytes(summary.bytes)}) from ${path} (${source.format}) into ${address} in ${seconds.toFixed(1)} s` +
            `; ${summary.duplicates} already there, ${summary.failed.length} failed`,
          ...summary.folders.map((f) => `  ${f.folder}${f.target !== f.folder ? ` → ${f.target}` : ''}: ${f.imported} new, ${f.duplicates} already there${f.failed ? `, ${f.failed} failed` : ''}`),
          ...capped(summary.failed.map((p) => `  skipped ${p.label}: ${p.error}`)),
        ], { ...summary, format: source.format, seconds })
        if (summary.failed.length > 0) process.exitCode = 1
      } finally {
        await admin.close()
      }
    })
}

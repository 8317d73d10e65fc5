import type { Command } from 'commander'
import { accountOf } from '../lifecycle/account-of.ts'
import { capped, formatBytes } from '../lifecycle/progress.ts'
import type { AccountId, FolderId, Recoverable, RecoverableItem, RecoveredItem } from '../../store/store.ts'
import type { AdminContext } from './context.ts'

/** Rounds of restore one command runs: each puts back up to the store's MAX_RESTORE items. */
const MAX_ROUNDS = 1000
const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/**
 * `--since`: a date or time (`2026-11-01`, ISO 8601) or an age (`7d`, `12h`, `30m`, `2w`) counted
 * back from `now`. Returns ms since the epoch.
 */
export function parseSince(text: string, now: number): number {
  const age = /^(\d{1,6})([mhdw])$/.exec(text.trim())
  if (age) return now - Number(age[1]) * UNITS[age[2]]
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
  if (Number.isNaN(at)) throw new Error(`--since must be a date like 2026-11-01 or an age like 7d, 12h or 30m, got "${text}"`)
  return at
}

/** `tidings recover alice@example.test [--since 7d] [--folder Sent] [--list] [--into Folder]`. */
export function registerRecover(program: Command, open: () => Promise<AdminContext>): void {
  program.command('recover <address>')
    .description('Bring back expunged or deleted messages still in retention (store.deleted_item_retention)')
    .option('--since <when>', 'only messages deleted since this date (2026-11-01) or age (7d, 12h)')
    .option('--folder <path>', 'only messages deleted from this folder')
    .option('--list', 'list what is recoverable; restore nothing')
    .option('--into <path>', 'restore into this folder instead of the one each message left')
    .action(async (address: string, options: { since?: string; folder?: string; list?: boolean; into?: string }) => {
      const since = options.since === undefined ? undefined : parseSince(options.since, Date.now())
      const admin = await open()
      try {
        const recoverable = admin.store.recoverable
        if (!recoverable) throw new Error('This store keeps no recoverable items')
        const account = await accountOf(admin, address)
        // What has expired is not offered, even if the attendant has not purged it yet.
        await recoverable.purge()
        const filter = { since, folder: options.folder }
        if (options.list) {
          const items = await recoverable.list(account, filter)
          admin.print(listLines(address, items), { address, items })
          return
        }
        const into = options.into === undefined ? undefined : await folderId(admin, account, options.into)
        const recovered = await restoreAll(recoverable, account, filter, into)
        admin.print(restoreLines(address, recovered), { address, recovered })
      } finally {
        await admin.close()
      }
    })
}

async function folderId(admin: AdminContext, account: AccountId, path: string): Promise<FolderId> {
  const folder = await admin.store.folders.byPath(account, path)
  if (!folder) throw new Error(`No folder "${path}" (create it first, or leave out --into)`)
  return folder.id
}

async function restoreAll(
  recoverable: Recoverable,
  account: AccountId,
  filter: { since?: number; folder?: string },
  into: FolderId | undefined,
): Promise<Array<RecoveredItem & { subject: string }>> {
  const out: Array<RecoveredItem & { subject: string }> = []
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const items = await recoverable.list(account, filter)
    if (items.length === 0) break
    const subjects = new Map(items.map((i) => [i.id, i.subject]))
    const done = await recoverable.restore(account, items.map((i) => i.id), { folder: into })
    out.push(...done.map((r) => ({ ...r, subject: subjects.get(r.id) ?? '' })))
    if (done.length === 0) break
  }
  return out
}

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
}

function listLines(address: string, items: readonly RecoverableItem[]): string[] {
  if (items.length === 0) return [`Nothing to recover for ${address}`]
  return [
    `${items.length} recoverable message${items.length === 1 ? '' : 's'} of ${address} (deleted, folder, from, subject, size):`,
    ...capped(items.map((i) => `  ${when(i.deletedAt)}  ${i.folderPath}  ${i.from || '-'}  "${i.subject}"  ${formatBytes(i.size)}`), 1000),
  ]
}

function restoreLines(address: string, recovered: ReadonlyArray<RecoveredItem & { subject: string }>): string[] {
  if (recovered.length === 0) return [`Nothing to recover for ${address}`]
  return [
    `Recovered ${recovered.length} message${recovered.length === 1 ? '' : 's'} of ${address}:`,
    ...capped(recovered.map((r) => `  "${r.subject}" → ${r.folderPath} (UID ${r.uid})`), 1000),
  ]
}

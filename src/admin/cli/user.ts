import type { Command } from 'commander'
import { parseSize } from '../../config/load.ts'
import type { Principal } from '../../directory/directory.ts'
import { readPassword, withAdmin, withExistingAdmin, type AdminContext } from './context.ts'

interface AddOptions {
  password: string
  name: string
  quota?: string
  admin?: boolean
  kind: string
}

/** `tidings user add|list|show|passwd|disable|enable|remove|quota`. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('Manage users (and shared mailboxes, rooms, equipment)')

  user.command('add <address>')
    .description('Create a user and its mailbox')
    .option('--password <password>', 'the password; "-" reads it from standard input')
    .option('--name <name>', 'display name', '')
    .option('--quota <size>', 'mailbox quota, e.g. 2G (default: store.default_quota)')
    .option('--admin', 'may use the admin API and console')
    .option('--kind <kind>', 'user, shared, room or equipment', 'user')
    .action((address: string, options: AddOptions, command: Command) => withAdmin(command, async (admin) => {
      const quotaBytes = quotaOf(admin, options.quota)
      let principal: Principal
      if (options.kind === 'user') {
        if (options.password === undefined) throw new Error('A user needs --password (use "--password -" to read it from standard input)')
        const password = await readPassword(options.password)
        principal = await admin.admin.addUser({ address, password, name: options.name, quotaBytes, admin: options.admin === true })
      } else if (options.kind === 'shared') {
        principal = await admin.admin.addShared({ address, name: options.name, quotaBytes })
      } else if (options.kind === 'room' || options.kind === 'equipment') {
        principal = await admin.admin.addResource({ address, name: options.name, kind: options.kind })
      } else {
        throw new Error(`--kind must be user, shared, room or equipment, got "${options.kind}"`)
      }
      try {
        await admin.store.accounts.provision(principal.id, { bytes: quotaBytes })
      } catch (error) {
        // No principal without its mailbox: undo, then report.
        await admin.admin.removePrincipal(principal.address).catch(() => {})
        throw error
      }
      admin.print(`Added ${principal.kind} ${principal.address}${quotaBytes ? ` (quota ${formatBytes(quotaBytes)})` : ''}`, principal)
    }))

  user.command('list')
    .description('List users')
    .option('--domain <domain>', 'only this domain')
    .option('--all', 'include groups')
    .action((options: { domain?: string; all?: boolean }, command: Command) => withExistingAdmin(command, async (admin) => {
      const all = await admin.admin.listPrincipals({ domain: options.domain })
      const principals = options.all ? all : all.filter((p) => p.kind !== 'group')
      admin.print(
        principals.length === 0 ? 'No users yet; add one with: tidings user add alice@example.org --password -' : principals.map((p) =>
          [p.address, p.kind === 'user' ? '' : `[${p.kind}]`, p.name, p.disabled ? '(disabled)' : '', p.admin ? '(admin)' : ''].filter(Boolean).join('  ')),
        principals,
      )
    }))

  user.command('show <address>')
    .description('Show a user and its mailbox usage')
    .action((address: string, _options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const principal = await admin.admin.getPrincipal(address)
      const account = await admin.store.accounts.get(principal.id)
      const value = { ...principal, account: account ?? null }
      admin.print([
        `Address:   ${principal.address}`,
        `Name:      ${principal.name}`,
        `Kind:      ${principal.kind}${principal.admin ? ' (admin)' : ''}`,
        `Status:    ${principal.disabled ? 'disabled' : 'enabled'}`,
        `Addresses: ${principal.addresses.join(', ')}`,
        account
          ? `Mailbox:   ${account.usedMessages} messages, ${formatBytes(account.usedBytes)} of ${account.quotaBytes ? formatBytes(account.quotaBytes) : 'unlimited'}`
          : 'Mailbox:   none',
      ], value)
    }))

  user.command('passwd <address>')
    .description('Set a new password')
    .requiredOption('--password <password>', 'the new password; "-" reads it from standard input')
    .action((address: string, options: { password: string }, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.setPassword(address, await readPassword(options.password))
      admin.print(`Password changed for ${address}`, { address, changed: true })
    }))

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    user.command(`${verb} <address>`)
      .description(disabled ? 'Refuse logins (mail is still delivered)' : 'Allow logins again')
      .action((address: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
        const principal = await admin.admin.setDisabled(address, disabled)
        admin.print(`${principal.address} ${disabled ? 'disabled' : 'enabled'}`, principal)
      }))
  }

  user.command('quota <address> <size>')
    .description('Set the mailbox quota (e.g. 2G; 0 for unlimited)')
    .action((address: string, size: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      const bytes = quotaOf(admin, size) ?? null
      const principal = await admin.admin.setQuota(address, bytes)
      const account = await admin.store.accounts.get(principal.id)
      await admin.store.accounts.setQuota(principal.id, { bytes, messages: account?.quotaMessages ?? null })
      admin.print(`Quota of ${principal.address}: ${bytes ? formatBytes(bytes) : 'unlimited'}`, principal)
    }))

  user.command('remove <address>')
    .description('Delete a user with its whole mailbox')
    .action((address: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      const principal = await admin.admin.getPrincipal(address)
      if (principal.kind === 'group') throw new Error(`${principal.address} is a group; use: tidings group remove`)
      // Mailbox first, so blob references are released; then the directory entry.
      await admin.store.accounts.remove(principal.id)
      await admin.admin.removePrincipal(principal.address)
      admin.print(`Removed ${principal.address} and its mailbox`, { removed: principal.address })
    }))
}

/** `--quota` value in bytes; absent → `store.default_quota`; 0 → unlimited (null). */
function quotaOf(admin: AdminContext, text: string | undefined): number | null {
  const bytes = text === undefined ? admin.config.number('store.default_quota') : parseSize(text)
  if (bytes === null) throw new Error(`--quota must be a size like 500M or 2G, got "${text}"`)
  return bytes === 0 ? null : bytes
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) value /= 1024, unit++
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

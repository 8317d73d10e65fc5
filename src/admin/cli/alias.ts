import type { Command } from 'commander'
import { splitList, withAdmin, withExistingAdmin } from './context.ts'

/** `tidings alias add|remove|list`: addresses that forward to other addresses (local or remote). */
export function registerAlias(program: Command): void {
  const alias = program.command('alias').description('Manage aliases (forwarding addresses)')

  alias.command('add <address> <targets>')
    .description('Forward mail for <address> to <targets> (comma-separated, local or remote); repeat to add more')
    .action((address: string, targets: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      const added = []
      for (const target of splitList(targets)) added.push(await admin.admin.addAlias(address, target))
      if (added.length === 0) throw new Error('No target given')
      admin.print(added.map((a) => `Added alias ${a.address} → ${a.target}`), added.length === 1 ? added[0] : added)
    }))

  alias.command('remove <address> [target]')
    .description('Remove one target of an alias, or the whole alias')
    .action((address: string, target: string | undefined, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.removeAlias(address, target)
      admin.print(`Removed alias ${address}${target ? ' → ' + target : ''}`, { removed: address, target: target ?? null })
    }))

  alias.command('list')
    .description('List aliases')
    .action((_options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const rows = await admin.admin.listAliases()
      admin.print(rows.map((r) => `${r.address} → ${r.target}`), rows)
    }))
}

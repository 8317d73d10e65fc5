import type { Command } from 'commander'
import { withAdmin } from './context.ts'

/** `tidings alias add|remove|list`: addresses that forward to other addresses (local or remote). */
export function registerAlias(program: Command): void {
  const alias = program.command('alias').description('Manage aliases (forwarding addresses)')

  alias.command('add <address> <target>')
    .description('Forward mail for <address> to <target>; repeat to add more targets')
    .action((address: string, target: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      const added = await admin.admin.addAlias(address, target)
      admin.print(`Added alias ${added.address} → ${added.target}`, added)
    }))

  alias.command('remove <address> [target]')
    .description('Remove one target of an alias, or the whole alias')
    .action((address: string, target: string | undefined, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.removeAlias(address, target)
      admin.print(`Removed alias ${address}${target ? ' → ' + target : ''}`, { removed: address, target: target ?? null })
    }))

  alias.command('list')
    .description('List aliases')
    .action((_options: unknown, command: Command) => withAdmin(command, async (admin) => {
      const rows = await admin.admin.listAliases()
      admin.print(rows.map((r) => `${r.address} → ${r.target}`), rows)
    }))
}

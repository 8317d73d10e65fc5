import type { Command } from 'commander'
import { splitList, withAdmin, withExistingAdmin, type AdminContext } from './context.ts'

/** `tidings group add|members|remove|list`: distribution groups (nesting allowed). */
export function registerGroup(program: Command): void {
  const group = program.command('group').description('Manage distribution groups')

  group.command('add <address>')
    .description('Create a group')
    .requiredOption('--members <addresses>', 'comma-separated member addresses (users, groups, aliases or remote)')
    .option('--name <name>', 'display name', '')
    .option('--internal-only', 'accept mail only from senders in local domains')
    .action((address: string, options: { members: string; name: string; internalOnly?: boolean }, command: Command) =>
      withAdmin(command, async (admin) => {
        const members = splitList(options.members)
        const added = await admin.admin.addGroup(address, members, { name: options.name, internalOnly: options.internalOnly === true })
        const stored = await admin.admin.groupMembers(added.address)
        await warnUnknown(admin, stored)
        admin.print(`Added group ${added.address} with ${stored.length} members`, { ...added, members: stored, internalOnly: options.internalOnly === true })
      }))

  group.command('members <address>')
    .description('Show the members of a group, or replace them with --set')
    .option('--set <addresses>', 'comma-separated new member list')
    .action((address: string, options: { set?: string }, command: Command) => withAdmin(command, async (admin) => {
      if (options.set !== undefined) await admin.admin.setGroupMembers(address, splitList(options.set))
      const members = await admin.admin.groupMembers(address)
      if (options.set !== undefined) await warnUnknown(admin, members)
      const resolved = await admin.directory.resolve(address)
      const destinations = resolved.kind === 'group' ? resolved.members.map((m) => m.address) : []
      admin.print(members, { group: address, members, destinations })
    }))

  group.command('remove <address>')
    .description('Remove a group')
    .action((address: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.getPrincipal(address).then((p) => {
        if (p.kind !== 'group') throw new Error(`${p.address} is a ${p.kind}, not a group; use: tidings user remove`)
      })
      const removed = await admin.admin.removePrincipal(address)
      admin.print(`Removed group ${removed.address}`, { removed: removed.address })
    }))

  group.command('list')
    .description('List groups')
    .action((_options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const groups = await admin.admin.listPrincipals({ kind: 'group' })
      admin.print(groups.map((g) => `${g.address}${g.name ? `  ${g.name}` : ''}`), groups)
    }))
}

/** A member in a local domain that nobody answers to is kept (it may be added later) but flagged: usually a typo. */
async function warnUnknown(admin: AdminContext, members: readonly string[]): Promise<void> {
  for (const member of members) {
    if ((await admin.directory.resolve(member)).kind === 'unknown') {
      process.stderr.write(`tidings: warning: ${member} is not a user, group or alias here yet; mail to it is dropped\n`)
    }
  }
}

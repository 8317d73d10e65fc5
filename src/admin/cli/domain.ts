import type { Command } from 'commander'
import { withAdmin, withExistingAdmin } from './context.ts'

/** `tidings domain add|list|remove|catch-all`: the domains this server receives mail for. */
export function registerDomain(program: Command): void {
  const domain = program.command('domain').description('Manage the domains this server receives mail for')

  domain.command('add <name>')
    .description('Serve a domain (IDN names are stored as A-labels)')
    .option('--alias-of <domain>', 'make it a domain alias: mail to x@<name> goes to x@<domain>')
    .action((name: string, options: { aliasOf?: string }, command: Command) => withAdmin(command, async (admin) => {
      const added = await admin.admin.addDomain(name, { aliasOf: options.aliasOf })
      admin.print(added.aliasOf ? `Added domain ${added.name} (alias of ${added.aliasOf})` : `Added domain ${added.name}`, added)
    }))

  domain.command('list')
    .description('List served domains')
    .action((_options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const domains = await admin.admin.listDomains()
      admin.print(
        domains.length === 0 ? 'No domains yet; add one with: tidings domain add example.org' : domains.map((d) =>
          `${d.name}${d.aliasOf ? ` → alias of ${d.aliasOf}` : `  (${d.principals} users/groups${d.catchAll ? `, catch-all ${d.catchAll}` : ''})`}`),
        domains,
      )
    }))

  domain.command('remove <name>')
    .description('Stop serving a domain (refused while it has users, groups or aliases)')
    .action((name: string, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.removeDomain(name)
      admin.print(`Removed domain ${name}`, { removed: name })
    }))

  domain.command('catch-all <domain> [address]')
    .description('Send mail for unknown local parts of <domain> to <address>; without it, turn that off')
    .action((name: string, address: string | undefined, _options: unknown, command: Command) => withAdmin(command, async (admin) => {
      await admin.admin.setCatchAll(name, address ?? null)
      admin.print(address ? `Catch-all for ${name}: ${address}` : `Catch-all for ${name} turned off`, { domain: name, catchAll: address ?? null })
    }))
}

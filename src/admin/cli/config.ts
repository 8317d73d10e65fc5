import type { Command } from 'commander'
import { configDocs } from './config-docs.ts'
import { configFrom } from './context.ts'

/** `tidings config [--docs]`: the effective configuration, or the Markdown table of every key. */
export function registerConfig(program: Command): void {
  program.command('config')
    .description('Print the effective configuration, or with --docs the table of every key (Markdown)')
    .option('--docs', 'print the documentation table of every key')
    .action((options: { docs?: boolean }, command: Command) => {
      if (options.docs) {
        process.stdout.write(configDocs() + '\n')
        return
      }
      const { config, json } = configFrom(command)
      const entries = config.entries()
      if (json) process.stdout.write(JSON.stringify(Object.fromEntries(entries)) + '\n')
      else process.stdout.write(entries.map(([key, value]) => `${key} = ${JSON.stringify(value)}`).join('\n') + '\n')
    })
}

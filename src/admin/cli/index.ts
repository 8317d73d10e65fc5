import { Command, CommanderError } from 'commander'
import { registerServe, serving } from './serve.ts'
import { registerDomain } from './domain.ts'
import { registerUser } from './user.ts'
import { registerAlias } from './alias.ts'
import { registerGroup } from './group.ts'
import { registerStatus } from './status.ts'
import { registerVerify } from './verify.ts'
import { registerConfig } from './config.ts'
import { openAdmin, type AdminContext } from './context.ts'
import { registerQueue } from './queue.ts'
import { registerTrack } from './track.ts'
import { registerBackup } from './backup.ts'
import { registerExport } from './export.ts'
import { registerImport } from './import.ts'
import { registerMigrate } from './migrate.ts'
import { registerDns } from './dns.ts'
import { registerRecover } from './recover.ts'

/** The commands other areas add (queue, track, dns): one line each, in the order `--help` shows them. */
const EXTENSIONS: ReadonlyArray<(program: Command, open: () => Promise<AdminContext>) => void> = [
  registerQueue,
  registerTrack,
  registerBackup,
  registerExport,
  registerImport,
  registerMigrate,
  registerDns,
  registerRecover,
]

/** Builds the `tidings` command line (commander). The only list of nouns. */
export function buildProgram(): Command {
  const program = new Command('tidings')
    .description('Tidings mail server: run it, and manage its domains, users, aliases and groups')
    .option('--config <file>', 'TOML configuration file (default: $TIDINGS_CONFIG)')
    .option('--data <dir>', 'data directory (overrides data_dir / TIDINGS_DATA_DIR)')
    .option('--json', 'machine-readable output: one JSON document per command')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerServe(program)
  registerDomain(program)
  registerUser(program)
  registerAlias(program)
  registerGroup(program)
  registerStatus(program)
  registerVerify(program)
  registerConfig(program)
  for (const register of EXTENSIONS) register(program, () => openAdmin(program))
  return program
}

/** Is `serve` running in this process (so the process must not exit when the command returns)? */
export function isServing(): boolean {
  return serving
}

/**
 * Runs one command line. Resolves to the exit code; errors become ONE line on stderr (no stack),
 * since the operator needs the reason, not our call chain.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram()
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1
    process.stderr.write(`tidings: ${oneLine(error)}\n`)
    return 1
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].trim() || String(error)
}

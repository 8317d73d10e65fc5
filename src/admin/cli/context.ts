import type { Command } from 'commander'
import { loadConfig, type Config } from '../../config/load.ts'
import { openData, type OpenData } from '../../open-data.ts'

/** Global options every command accepts (before or after the command name). */
export interface GlobalOptions {
  config?: string
  data?: string
  json?: boolean
}

/** What an admin command works with: the config, the opened data directory, and output helpers. */
export interface AdminContext extends OpenData {
  config: Config
  json: boolean
  /** Prints `human` (a line or lines) normally, or `value` as one JSON line with --json. */
  print(human: string | readonly string[], value: unknown): void
}

/** Reads the global options, loads the configuration (defaults < TOML < env < --data). */
export function configFrom(command: Command): { config: Config; json: boolean } {
  const options = command.optsWithGlobals<GlobalOptions>()
  const overrides: Record<string, unknown> = {}
  if (options.data !== undefined) overrides.data_dir = options.data
  return { config: loadConfig({ file: options.config, overrides }), json: options.json === true }
}

/** Opens the data directory for one admin command; the caller closes it (see `withAdmin`). */
export async function openAdmin(command: Command): Promise<AdminContext> {
  const { config, json } = configFrom(command)
  const data = await openData(config)
  return {
    ...data,
    config,
    json,
    print(human, value) {
      if (json) process.stdout.write(JSON.stringify(value) + '\n')
      else process.stdout.write((typeof human === 'string' ? human : human.join('\n')) + (human.length > 0 ? '\n' : ''))
    },
  }
}

/** Runs `work` with an open AdminContext and always closes it. */
export async function withAdmin<T>(command: Command, work: (admin: AdminContext) => Promise<T>): Promise<T> {
  const admin = await openAdmin(command)
  try {
    return await work(admin)
  } finally {
    await admin.close()
  }
}

/** `--password -` reads the password from standard input (first line), so it stays out of `ps`. */
export async function readPassword(value: string): Promise<string> {
  if (value !== '-') return value
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]
}

/** Splits `a@x,b@x` (spaces allowed) into addresses. */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

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
export async function openAdmin(command: Command, options: { mustExist?: boolean } = {}): Promise<AdminContext> {
  const { config, json } = configFrom(command)
  const data = await openData(config, options)
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

/** Like `withAdmin`, for commands that only read: a data directory that does not exist is an error, not created. */
export async function withExistingAdmin<T>(command: Command, work: (admin: AdminContext) => Promise<T>): Promise<T> {
  const admin = await openAdmin(command, { mustExist: true })
  try {
    return await work(admin)
  } finally {
    await admin.close()
  }
}

/** Longest password line read from standard input; more is an input mistake, not a password. */
const MAX_PASSWORD_INPUT = 4096

/**
 * `--password -` reads the password from standard input (its first line), so it stays out of `ps`
 * and shell history. On a terminal it prompts and does not echo.
 */
export async function readPassword(value: string): Promise<string> {
  if (value !== '-') return value
  if (process.stdin.isTTY) return promptHidden('Password: ')
  let text = ''
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (text.includes('\n') || text.length > MAX_PASSWORD_INPUT) break
  }
  return text.split(/\r?\n/)[0]
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    stdin.setRawMode(true)
    stdin.setEncoding('utf8')
    let answer = ''
    const done = (error?: Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolve(answer)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new Error('Cancelled'))
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1)
        else if (answer.length < MAX_PASSWORD_INPUT) answer += ch
      }
    }
    stdin.on('data', onData)
    stdin.resume()
  })
}

/** Splits `a@x,b@x` (spaces allowed) into addresses. */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

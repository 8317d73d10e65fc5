import { readFileSync } from 'node:fs'
import { parse as parseToml } from 'smol-toml'
import { CONFIG_KEYS, envName, type ConfigKey, type KeySpec } from './schema.ts'

export type ConfigValue = string | number | boolean | readonly string[]

export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

export interface Listener {
  host: string
  port: number
}

/** Typed, frozen configuration. A reload builds a new one; code reads it per session. */
export class Config {
  readonly #values: ReadonlyMap<string, ConfigValue>
  readonly #routes: Readonly<Record<string, Record<string, unknown>>>
  constructor(values: Map<string, ConfigValue>, routes: Record<string, Record<string, unknown>> = {}) {
    this.#values = values
    this.#routes = routes
  }
  /** The free-form `[routes."domain"]` tables of the config file (transport routing). */
  routes(): Readonly<Record<string, Record<string, unknown>>> {
    return this.#routes
  }
  #get(key: ConfigKey): ConfigValue {
    const value = this.#values.get(key)
    if (value === undefined) throw new ConfigError(`Unknown configuration key "${key}"`)
    return value
  }
  string(key: ConfigKey): string { return String(this.#get(key)) }
  number(key: ConfigKey): number { return Number(this.#get(key)) }
  boolean(key: ConfigKey): boolean { return this.#get(key) === true }
  list(key: ConfigKey): readonly string[] { return this.#get(key) as readonly string[] }
  /** A listener's address, or null when it is turned off (empty). */
  listener(key: ConfigKey): Listener | null {
    const text = this.string(key)
    return text === '' ? null : parseListener(text, key)
  }
  /** A copy with some keys replaced (tests, CLI flags). Values are validated like the file's. */
  with(overrides: Record<string, unknown>): Config {
    const values = new Map(this.#values)
    for (const [key, raw] of Object.entries(overrides)) values.set(key, coerce(specOf(key, 'override'), raw, 'override'))
    return new Config(values, this.#routes)
  }
  entries(): Array<[string, ConfigValue]> {
    return [...this.#values.entries()]
  }
}

export interface LoadOptions {
  /** TOML file path; `TIDINGS_CONFIG` when absent. */
  file?: string
  env?: NodeJS.ProcessEnv
  overrides?: Record<string, unknown>
}

/** defaults < TOML file < environment < overrides; an unknown key or bad value throws naming it. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env
  const values = new Map<string, ConfigValue>()
  for (const spec of CONFIG_KEYS) values.set(spec.key, spec.default)

  const file = options.file ?? env.TIDINGS_CONFIG
  let routes: Record<string, Record<string, unknown>> = {}
  if (file) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
    }
    let doc: Record<string, unknown>
    try {
      doc = parseToml(text) as Record<string, unknown>
    } catch (error) {
      throw new ConfigError(`Config file ${file} is not valid TOML: ${(error as Error).message.split('\n')[0]}`)
    }
    routes = (doc.routes ?? {}) as Record<string, Record<string, unknown>>
    for (const [key, raw] of flatten(doc)) {
      // Route tables ([routes."example.test"]) are free-form and read by the transport.
      if (key.startsWith('routes.')) continue
      values.set(key, coerce(specOf(key, file), raw, file))
    }
  }

  const known = new Set(CONFIG_KEYS.map((s) => envName(s)))
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TIDINGS_') || name === 'TIDINGS_CONFIG' || name.startsWith('TIDINGS_TEST_')) continue
    if (!known.has(name)) throw new ConfigError(`Unknown environment variable ${name} (not a Tidings configuration key)`)
    const spec = CONFIG_KEYS.find((s) => envName(s) === name)!
    values.set(spec.key, coerce(spec, raw, name))
  }
  for (const [key, raw] of Object.entries(options.overrides ?? {})) values.set(key, coerce(specOf(key, 'override'), raw, 'override'))
  return new Config(values, routes)
}

function specOf(key: string, where: string): KeySpec {
  const spec = CONFIG_KEYS.find((s) => s.key === key)
  if (!spec) throw new ConfigError(`Unknown configuration key "${key}" in ${where}`)
  return spec
}

function* flatten(doc: Record<string, unknown>, prefix = ''): Generator<[string, unknown]> {
  for (const [name, value] of Object.entries(doc)) {
    const key = prefix + name
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      yield* flatten(value as Record<string, unknown>, key + '.')
    } else {
      yield [key, value]
    }
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, T: 1024 ** 4 }
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, '': 1000 }

/** Parses "2G", "512K", 1048576 → bytes. */
export function parseSize(raw: unknown): number | null {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(raw))
  if (!m || !(m[2].toUpperCase() in SIZE_UNITS)) return null
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()])
}

/** Parses "5m", "30s", "4h", "5d", "250ms" → ms; a bare number is seconds. */
export function parseDuration(raw: unknown): number | null {
  if (typeof raw === 'number' && raw >= 0) return raw
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)\s*$/.exec(String(raw))
  if (!m) return null
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]])
}

function parseListener(text: string, where: string): Listener {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || port > 65535) throw new ConfigError(`${where}: "${text}" is not a listener address (host:port, port 0-65535)`)
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port }
}

function coerce(spec: KeySpec, raw: unknown, where: string): ConfigValue {
  const bad = (what: string) => new ConfigError(`${where}: ${spec.key} must be ${what}, got ${JSON.stringify(raw)}`)
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string') throw bad('a string')
      return raw
    case 'listener':
      if (typeof raw !== 'string') throw bad('"host:port" or empty')
      if (raw !== '') parseListener(raw, `${where}: ${spec.key}`)
      return raw
    case 'integer': {
      const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad('a whole number ≥ 0')
      return n
    }
    case 'size': {
      const n = parseSize(raw)
      if (n === null) throw bad('a size like 50M or 2G')
      return n
    }
    case 'duration': {
      const n = parseDuration(raw)
      if (n === null) throw bad('a duration like 30s, 5m, 4h or 5d')
      return n
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === '1') return true
      if (raw === 'false' || raw === '0') return false
      throw bad('true or false')
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean)
      throw bad('a list of strings')
  }
}

import { CONFIG_KEYS, envName, type KeySpec } from '../../config/schema.ts'

/** The README's configuration table, generated from the schema so the two never drift. */
export function configDocs(): string {
  const rows = CONFIG_KEYS.map((spec: KeySpec) => {
    const value = formatDefault(spec)
    return `| \`${spec.key}\` | \`${envName(spec)}\` | ${spec.type} | ${value === '' ? '(empty)' : `\`${value}\``} | ${spec.doc.replaceAll('|', '\\|')} |`
  })
  return ['| Key (TOML) | Environment | Type | Default | Meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

/** Defaults in the units an operator would write them in (50M, 5m), as the config file accepts. */
function formatDefault(spec: KeySpec): string {
  const value = spec.default
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'number' && value > 0 && spec.type === 'size') return withUnit(value, [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]])
  if (typeof value === 'number' && value > 0 && spec.type === 'duration') return withUnit(value, [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]])
  return String(value)
}

function withUnit(value: number, units: ReadonlyArray<readonly [string, number]>): string {
  for (const [unit, size] of units) if (value % size === 0) return `${value / size}${unit}`
  return String(value)
}

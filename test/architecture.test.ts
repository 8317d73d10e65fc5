/**
 * The dependency rule of DESIGN.md, checked over every import in src/:
 * access/*, web/ → store/, directory/ (never db/); store/, directory/ → cluster/, db/;
 * wire code imports only wire code; nothing imports main.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const SRC = resolve(import.meta.dirname, '../src')

/** For each top-level area, the areas it must never import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  db: ['store', 'directory', 'access', 'transport', 'web', 'admin', 'attendant', 'cluster'],
  cluster: ['store', 'directory', 'access', 'transport', 'web', 'admin', 'attendant'],
  config: ['store', 'directory', 'access', 'transport', 'web', 'admin', 'attendant', 'db'],
  store: ['directory', 'access', 'transport', 'web', 'admin', 'attendant'],
  directory: ['store', 'access', 'transport', 'web', 'admin', 'attendant'],
  // Protocols speak to the store and directory interfaces, never to SQL.
  access: ['db', 'transport', 'web', 'admin', 'attendant'],
  web: ['db', 'admin', 'attendant'],
  transport: ['access', 'web', 'admin', 'attendant'],
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* sourceFiles(path)
    else if (name.endsWith('.ts')) yield path
  }
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) found.push(m[1])
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1])
  return found.filter((spec) => spec.startsWith('.'))
}

function areaOf(path: string): string {
  return relative(SRC, path).split('/')[0]
}

test('imports follow the dependency rule of DESIGN.md', () => {
  const violations: string[] = []
  for (const file of sourceFiles(SRC)) {
    const from = areaOf(file)
    const isWire = relative(SRC, file).split('/').includes('wire')
    for (const spec of importsOf(file)) {
      const target = resolve(dirname(file), spec)
      const to = areaOf(target)
      const rel = relative(SRC, file)
      if (relative(SRC, target) === 'main.ts') violations.push(`${rel} imports main.ts`)
      if (FORBIDDEN[from]?.includes(to) && !file.endsWith('.test.ts')) violations.push(`${rel} (${from}) imports ${to}/ via ${spec}`)
      if (isWire && !relative(SRC, target).split('/').includes('wire')) violations.push(`${rel} is wire code but imports ${spec}`)
    }
  }
  assert.deepEqual(violations, [])
})

test('every source file spells its relative imports with .ts', () => {
  const bad: string[] = []
  for (const file of sourceFiles(SRC)) {
    for (const spec of importsOf(file)) if (!spec.endsWith('.ts') && !spec.endsWith('.json')) bad.push(`${relative(SRC, file)}: ${spec}`)
  }
  assert.deepEqual(bad, [])
})

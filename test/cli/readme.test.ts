import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_KEYS, envName } from '../../src/config/schema.ts'
import { ROOT } from '../support/cli.ts'

test('README documents every configuration key (regenerate with: tidings config --docs)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const missing = CONFIG_KEYS.filter((spec) => !readme.includes(`| \`${spec.key}\` | \`${envName(spec)}\` |`)).map((s) => s.key)
  assert.deepEqual(missing, [], `README.md lacks ${missing.join(', ')}`)
})

test('README gives the two commands', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  assert.match(readme, /npm install/)
  assert.match(readme, /npm start/)
  assert.match(readme, /npm test/)
})

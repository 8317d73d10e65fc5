/**
 * Installs the Debian packages an anchor needs when they are missing. apt is shared with other
 * helpers working in parallel, hence `flock /tmp/apt.lock`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Packages whose binaries must exist; installed together in one apt-get call. */
export function ensurePackages(packages: ReadonlyArray<{ name: string; binary: string }>): void {
  const missing = packages.filter((p) => !existsSync(p.binary))
  if (missing.length === 0) return
  if (missing.some((p) => p.name === 'postfix')) {
    // Without a preseed, postfix's postinst asks which mail setup to write (and writes one).
    execFileSync('debconf-set-selections', { input: 'postfix postfix/main_mailer_type select No configuration\n' })
  }
  const names = missing.map((p) => p.name)
  process.stderr.write(`bench: installing ${names.join(' ')} (apt-get)\n`)
  const result = spawnSync('flock', ['/tmp/apt.lock', 'apt-get', 'install', '-y', '-qq', ...names], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
  })
  if (result.status !== 0) {
    const tail = (result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' | ')
    throw new Error(`apt-get install ${names.join(' ')} failed (exit ${result.status}): ${tail}`)
  }
}

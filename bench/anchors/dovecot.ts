/**
 * Dovecot as a benchmark anchor: its own config file in a temp dir, IMAP/POP3/LMTP on 127.0.0.1
 * non-standard ports, virtual users in a passwd-file (SHA512-CRYPT, Debian's usual scheme), Maildir
 * under the temp dir owned by `nobody`. Started with `dovecot -F -c <file>` as our child, stopped by
 * its pid, temp state removed.
 *
 * Durability: `mail_fsync = optimized` (Dovecot's default), which fsyncs every saved Maildir file
 * before LMTP answers 250 or APPEND answers OK — the same promise Tidings makes.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePackages } from './install.ts'
import { freePort, waitForPort } from '../lib/free-port.ts'
import type { BenchUser } from '../targets/target.ts'

/** Mail files belong to an unprivileged system user: Dovecot refuses uid 0 for mail access. */
const MAIL_UID = 65534
const MAIL_GID = 65534

export const DOVECOT_MODES = ['stock', 'high-performance', 'high-performance+hibernate'] as const
export type DovecotMode = (typeof DOVECOT_MODES)[number]


export interface DovecotOptions {
  mode: DovecotMode
  users: readonly BenchUser[]
  /** Most concurrent IMAP connections expected (IDLE scenario: thousands). */
  maxConnections?: number
  /** Also serve IMAPS (implicit TLS) with a self-signed certificate made for this run. */
  tls?: boolean
}

export class DovecotAnchor {
  readonly dir: string
  readonly mode: DovecotMode
  readonly version: string
  readonly imapPort: number
  readonly pop3Port: number
  /** IMAPS (implicit TLS) when started with `tls`. */
  readonly imapsPort: number | undefined
  /** Unix socket Postfix's lmtp client delivers to. */
  readonly lmtpSocket: string
  readonly #child: ChildProcess
  readonly #users: readonly BenchUser[]
  #restoreInotify = () => {}

  private constructor(init: { dir: string; mode: DovecotMode; version: string; imapPort: number; pop3Port: number; imapsPort?: number; child: ChildProcess; users: readonly BenchUser[] }) {
    this.dir = init.dir
    this.mode = init.mode
    this.version = init.version
    this.imapPort = init.imapPort
    this.pop3Port = init.pop3Port
    this.imapsPort = init.imapsPort
    this.lmtpSocket = join(init.dir, 'run', 'lmtp')
    this.#child = init.child
    this.#users = init.users
  }

  /** The master's pid: the root of Dovecot's process tree. */
  get pid(): number {
    return this.#child.pid!
  }

  static async start(options: DovecotOptions): Promise<DovecotAnchor> {
    ensurePackages([
      { name: 'dovecot-imapd', binary: '/usr/lib/dovecot/imap' },
      { name: 'dovecot-pop3d', binary: '/usr/lib/dovecot/pop3' },
      { name: 'dovecot-lmtpd', binary: '/usr/lib/dovecot/lmtp' },
    ])
    const version = execFileSync('dovecot', ['--version'], { encoding: 'utf8' }).trim()
    const dir = mkdtempSync('/tmp/bench-dovecot-')
    let imapPort: number
    let pop3Port: number
    let imapsPort: number | undefined
    try {
      // Login and mail processes run as other users; they must be able to walk into the dir.
      chmodSync(dir, 0o755)
      for (const sub of ['run', 'state', 'home']) mkdirSync(join(dir, sub))
      chownSync(join(dir, 'home'), MAIL_UID, MAIL_GID)
      imapPort = await freePort()
      pop3Port = await freePort()
      if (options.tls) {
        imapsPort = await freePort()
        // Readable by the login processes (dovenull); a throw-away key for 127.0.0.1 only.
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
      }
      writePasswd(dir, options.users)
      for (const user of options.users) ensureMaildir(join(dir, 'home', localPart(user.address)))
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`Dovecot set-up in ${dir} failed: ${(error as Error).message}`, { cause: error })
    }
    const restoreInotify = raiseInotifyInstances((options.maxConnections ?? 2000) + 512)
    const file = join(dir, 'dovecot.conf')
    writeFileSync(file, config({ dir, imapPort, pop3Port, imapsPort, mode: options.mode, version, maxConnections: options.maxConnections ?? 2000 }))
    // -F: stay in the foreground as our child, so the pid we hold is the master's.
    const child = spawn('dovecot', ['-F', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`dovecot exited (${code}): ${lastLines(stderr + readLog(dir))}`))))
    exited.catch(() => {})
    try {
      const ports = [imapPort, pop3Port, ...(imapsPort ? [imapsPort] : [])]
      await Promise.race([Promise.all(ports.map((port) => waitForPort(port, 15_000))), exited])
    } catch (error) {
      child.kill('SIGKILL')
      restoreInotify()
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`Dovecot (${options.mode}) did not start: ${(error as Error).message}`)
    }
    const anchor = new DovecotAnchor({ dir, mode: options.mode, version, imapPort, pop3Port, imapsPort, child, users: options.users })
    anchor.#restoreInotify = restoreInotify
    return anchor
  }

  /** The Maildir of a user (cur/new/tmp inside). */
  maildir(address: string): string {
    return join(this.dir, 'home', localPart(address), 'Maildir')
  }

  /** Messages delivered to a user's INBOX, counted on disk (new/ + cur/). */
  inboxCount(address: string): number {
    const md = this.maildir(address)
    let n = 0
    for (const sub of ['new', 'cur']) {
      try {
        n += readdirSync(join(md, sub)).length
      } catch {
        // Not created until the first delivery.
      }
    }
    return n
  }

  /** Makes files written directly into a Maildir (fast population) readable by the mail user. */
  fixOwnership(address: string): void {
    execFileSync('chown', ['-R', `${MAIL_UID}:${MAIL_GID}`, join(this.dir, 'home', localPart(address))])
  }

  log(): string {
    return readLog(this.dir)
  }

  async stop(): Promise<void> {
    const child = this.#child
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(timer)
    }
    this.#restoreInotify()
    rmSync(this.dir, { recursive: true, force: true })
  }

  get users(): readonly BenchUser[] {
    return this.#users
  }
}

function localPart(address: string): string {
  return address.slice(0, address.indexOf('@'))
}

function ensureMaildir(home: string): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(home, 'Maildir', sub), { recursive: true })
  execFileSync('chown', ['-R', `${MAIL_UID}:${MAIL_GID}`, home])
}

function writePasswd(dir: string, users: readonly BenchUser[]): void {
  const hashes = new Map<string, string>()
  const lines = users.map((user) => {
    let hash = hashes.get(user.password)
    if (!hash) {
      hash = execFileSync('openssl', ['passwd', '-6', user.password], { encoding: 'utf8' }).trim()
      hashes.set(user.password, hash)
    }
    return `${user.address}:{SHA512-CRYPT}${hash}:${MAIL_UID}:${MAIL_GID}::${join(dir, 'home', localPart(user.address))}::`
  })
  writeFileSync(join(dir, 'passwd'), lines.join('\n') + '\n', { mode: 0o640 })
  // The auth process reads it as the internal user.
  execFileSync('chgrp', ['dovecot', join(dir, 'passwd')])
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8')
  } catch {
    return ''
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-4).join(' | ')
}

function config(o: { dir: string; imapPort: number; pop3Port: number; imapsPort?: number; mode: DovecotMode; version: string; maxConnections: number }): string {
  const highPerformance = o.mode !== 'stock'
  // 2.4 renamed service_count to restart_request_count; 2.3 (Debian 12) still has service_count.
  const reuse = /^2\.[0-3]\./.test(o.version) ? 'service_count' : 'restart_request_count'
  const processes = o.maxConnections + 100
  return `# Benchmark anchor (${o.mode}), written by bench/anchors/dovecot.ts
base_dir = ${o.dir}/run
state_dir = ${o.dir}/state
instance_name = bench-${o.dir.split('-').pop()}
log_path = ${o.dir}/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
${o.imapsPort ? `ssl = yes
ssl_cert = <${o.dir}/cert.pem
ssl_key = <${o.dir}/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
` : 'ssl = no\n'}disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_process_limit = ${processes}
default_client_limit = ${processes * 2}
mail_location = maildir:~/Maildir
mail_fsync = optimized
first_valid_uid = ${MAIL_UID}
passdb {
  driver = passwd-file
  args = username_format=%u ${o.dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${o.dir}/passwd
}
protocol imap {
  # The load generators open many sessions per user from one address.
  mail_max_userip_connections = ${o.maxConnections}
}
protocol pop3 {
  mail_max_userip_connections = ${o.maxConnections}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.imapPort}
  }
  inet_listener imaps {
${o.imapsPort ? `    address = 127.0.0.1
    port = ${o.imapsPort}
    ssl = yes
` : '    port = 0\n'}  }
${highPerformance ? `  # High-performance mode: long-lived login processes, one per core.
  ${reuse} = 0
  process_min_avail = 2
  client_limit = ${processes}
` : ''}}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${o.pop3Port}
  }
  inet_listener pop3s {
    port = 0
  }
${highPerformance ? `  ${reuse} = 0
  process_min_avail = 2
` : ''}}
service imap {
  process_limit = ${processes}
${highPerformance ? `  # Reuse imap processes for later connections instead of one fork per session.
  ${reuse} = 0
` : ''}${o.mode === 'high-performance+hibernate' ? `  unix_listener imap-master {
    user = $default_internal_user
  }
  # Hibernated sessions leave their imap process idle: give spare ones back after 5 s (default 60 s),
  # so what hibernation saves shows within the benchmark's wait.
  idle_kill = 5s
` : ''}}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
${o.mode === 'high-performance+hibernate' ? `# IDLE sessions move into imap-hibernate after 5 s (what it saves is what we measure).
imap_hibernate_timeout = 5s
service imap-hibernate {
  unix_listener imap-hibernate {
    mode = 0660
    group = $default_internal_group
  }
}
` : ''}`
}

const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances'

/**
 * Each IDLE session takes one inotify instance of the mail user; past the kernel's limit (128 by
 * default) Dovecot falls back to polling every 30 s, which would measure the limit, not Dovecot.
 * Raised as Dovecot's documentation advises for many IDLE users; the returned function restores it.
 */
function raiseInotifyInstances(wanted: number): () => void {
  let before: number
  try {
    before = Number(readFileSync(INOTIFY_INSTANCES, 'utf8').trim())
    if (before >= wanted) return () => {}
    writeFileSync(INOTIFY_INSTANCES, String(wanted))
  } catch (error) {
    process.stderr.write(`bench: cannot raise ${INOTIFY_INSTANCES} (${(error as Error).message}); Dovecot IDLE may fall back to 30 s polling\n`)
    return () => {}
  }
  return () => {
    try {
      writeFileSync(INOTIFY_INSTANCES, String(before))
    } catch {
      // Left raised: harmless.
    }
  }
}

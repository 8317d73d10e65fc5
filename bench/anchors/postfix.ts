/**
 * Postfix as a benchmark anchor: a separate instance (`postfix -c <dir>`) in a temp dir, smtpd on
 * 127.0.0.1:<non-standard port>, every recipient in the benchmark domain handed to Dovecot's LMTP
 * socket (virtual_transport = lmtp:unix:…). Postfix's defaults otherwise, fsync included (the
 * queue file is fsynced before 250). Stopped by the master's pid, temp state removed.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePackages } from './install.ts'
import { freePort, waitForPort } from '../lib/free-port.ts'

export interface PostfixOptions {
  domain: string
  /** Dovecot's LMTP unix socket. */
  lmtpSocket: string
  /** Concurrent SMTP clients expected (the default per-client limit is 50). */
  maxConnections?: number
}

export class PostfixAnchor {
  readonly dir: string
  readonly port: number
  readonly version: string

  private constructor(dir: string, port: number, version: string) {
    this.dir = dir
    this.port = port
    this.version = version
  }

  /** The master daemon's pid (from its pid file): the root of Postfix's process tree. */
  get pid(): number {
    return Number(readFileSync(join(this.dir, 'queue', 'pid', 'master.pid'), 'utf8').trim())
  }

  static async start(options: PostfixOptions): Promise<PostfixAnchor> {
    ensurePackages([{ name: 'postfix', binary: '/usr/sbin/postfix' }])
    const version = execFileSync('postconf', ['-d', '-h', 'mail_version'], { encoding: 'utf8' }).trim()
    const dir = mkdtempSync('/tmp/bench-postfix-')
    let port: number
    try {
      chmodSync(dir, 0o755)
      for (const sub of ['etc', 'queue', 'data']) mkdirSync(join(dir, sub))
      // Postfix's own state directory belongs to its mail_owner (postfix-script checks it).
      execFileSync('chown', ['postfix', join(dir, 'data')])
      port = await freePort()
      writeFileSync(join(dir, 'etc', 'main.cf'), mainCf(dir, options))
      writeFileSync(join(dir, 'etc', 'master.cf'), masterCf(port))
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`Postfix set-up in ${dir} failed: ${(error as Error).message}`, { cause: error })
    }
    const postfix = (...args: string[]) => spawnSync('postfix', ['-c', join(dir, 'etc'), ...args], { encoding: 'utf8' })
    const started = postfix('start')
    if (started.status !== 0) {
      // Postfix writes its reason to stderr only when that is a terminal: ask again under script(1).
      const why = spawnSync('script', ['-qec', `postfix -c ${join(dir, 'etc')} start`, '/dev/null'], { encoding: 'utf8' })
      rmSync(dir, { recursive: true, force: true })
      const reason = (started.stderr || why.stdout || '').trim().split('\n').slice(-3).join(' | ')
      throw new Error(`postfix -c ${dir}/etc start failed: ${reason || 'exit ' + started.status}`)
    }
    const anchor = new PostfixAnchor(dir, port, version)
    try {
      await waitForPort(port, 15_000)
    } catch (error) {
      const log = anchor.log()
      await anchor.stop()
      throw new Error(`Postfix did not start: ${(error as Error).message}; log: ${log.trim().split('\n').slice(-3).join(' | ')}`)
    }
    return anchor
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'maillog'), 'utf8')
    } catch {
      return ''
    }
  }

  /** Messages still in the queue (not yet handed to LMTP). */
  queued(): number {
    const out = spawnSync('find', [join(this.dir, 'queue', 'incoming'), join(this.dir, 'queue', 'active'), join(this.dir, 'queue', 'deferred'), '-type', 'f'], { encoding: 'utf8' })
    return out.stdout.split('\n').filter(Boolean).length
  }

  async stop(): Promise<void> {
    let pid: number | undefined
    try {
      pid = this.pid
    } catch {
      pid = undefined
    }
    if (pid) {
      // SIGTERM to the master stops it and its children (what `postfix stop` does, by pid).
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
      const deadline = Date.now() + 10_000
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function mainCf(dir: string, o: PostfixOptions): string {
  return `# Benchmark anchor, written by bench/anchors/postfix.ts
compatibility_level = 3.6
config_directory = ${dir}/etc
queue_directory = ${dir}/queue
data_directory = ${dir}/data
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
myhostname = mx.${o.domain}
mydomain = ${o.domain}
myorigin = ${o.domain}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = ${Math.max(50, o.maxConnections ?? 50)}
virtual_mailbox_domains = ${o.domain}
# Every address of the domain exists: Dovecot's LMTP answers for unknown ones.
virtual_mailbox_maps = static:OK
virtual_transport = lmtp:unix:${o.lmtpSocket}
`
}

/** Only the services a local-delivery-only instance needs; no chroot (the temp dir is not a jail). */
function masterCf(port: number): string {
  return `# service type private unpriv chroot wakeup maxproc command
127.0.0.1:${port} inet n - n - - smtpd
pickup     unix n - n 60 1 pickup
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
flush      unix n - n 1000? 0 flush
proxymap   unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp       unix - - n - - smtp
relay      unix - - n - - smtp
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
lmtp       unix - - n - - lmtp
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`
}

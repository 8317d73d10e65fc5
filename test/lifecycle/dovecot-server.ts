/**
 * A throwaway Dovecot (Debian's dovecot-imapd) for migration tests: its own temp dir, config,
 * passwd-file and a free loopback port; mail as Maildir owned by `nobody`. Installs the package
 * when missing (serialised with the other helpers' apt runs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Dovecot {
  port: number
  dir: string
  stop(): Promise<void>
}

const NOBODY = 65534

export function ensureDovecot(): void {
  if (existsSync('/usr/sbin/dovecot')) return
  execFileSync('flock', ['/tmp/apt.lock', 'apt-get', 'install', '-y', '-qq', 'dovecot-imapd'], { stdio: 'inherit' })
}

export async function startDovecot(users: Record<string, string>): Promise<Dovecot> {
  ensureDovecot()
  const dir = mkdtempSync(join(tmpdir(), 'tidings-dovecot-'))
  // Dovecot's auth and mail processes run as other users: they must reach the files.
  chmodSync(dir, 0o755)
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub))
  chownSync(join(dir, 'mail'), NOBODY, NOBODY)
  const port = await freePort()
  writeFileSync(join(dir, 'passwd'), Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}::::::\n`).join(''))
  writeFileSync(join(dir, 'dovecot.conf'), `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%n
first_valid_uid = ${NOBODY}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${NOBODY} gid=${NOBODY} home=${dir}/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
`)
  const child: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d) => (stderr += d))
  await waitForPort(port, () => child.exitCode !== null ? `dovecot exited: ${stderr}` : null)
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
      }
      if (!process.env.KEEP_DOVECOT) rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort(port: number, failed: () => string | null): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const problem = failed()
    if (problem) throw new Error(problem)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`dovecot did not listen on ${port}`)
}

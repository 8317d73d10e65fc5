/**
 * An in-process Tidings for tests: a temp data dir, every listener on 127.0.0.1 port 0, durable
 * writes, hostname mail.example.test, the domain example.test, quiet logs (set TIDINGS_TEST_LOG
 * to a pino level to see them). Uses the same composition function as `tidings serve`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import { CONFIG_KEYS } from '../../src/config/schema.ts'
import type { Principal } from '../../src/directory/directory.ts'
import type { ServerContext } from '../../src/server-context.ts'
import { startServer, type RunningServer } from '../../src/server.ts'
import type { DirectoryAdmin } from '../../src/directory/admin.ts'

export interface TestServer {
  ctx: ServerContext
  dataDir: string
  /** Listener key → bound port, e.g. ports['listen.imap']. */
  ports: Record<string, number>
  /** Directory writes (domains, aliases, groups …). */
  admin: DirectoryAdmin
  server: RunningServer
  /** Creates a user with its store account (mailbox and default folders). */
  addUser(address: string, password: string, options?: { name?: string; quotaBytes?: number | null }): Promise<Principal>
  /** Closes everything and removes the data dir. */
  stop(): Promise<void>
}

export const TEST_HOSTNAME = 'mail.example.test'
export const TEST_DOMAIN = 'example.test'

export async function startTestServer(options: { config?: Record<string, unknown>; dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tidings-test-'))
  const defaults: Record<string, unknown> = {
    data_dir: dataDir,
    hostname: TEST_HOSTNAME,
    durable: true,
    log_level: process.env.TIDINGS_TEST_LOG ?? 'silent',
  }
  for (const spec of CONFIG_KEYS) if (spec.type === 'listener') defaults[spec.key] = '127.0.0.1:0'
  // Only the test's own settings count: a developer's TIDINGS_* environment must not leak in.
  const config = loadConfig({ env: {}, overrides: { ...defaults, ...options.config } })
  let server: RunningServer
  try {
    server = await startServer(config)
  } catch (error) {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  const admin = server.data.admin
  if (!(await admin.listDomains()).some((d) => d.name === TEST_DOMAIN)) await admin.addDomain(TEST_DOMAIN)
  const ports: Record<string, number> = {}
  for (const [key, address] of server.listening) ports[key] = address.port
  let stopped = false
  return {
    ctx: server.ctx,
    dataDir,
    ports,
    admin,
    server,
    async addUser(address, password, more = {}) {
      const principal = await admin.addUser({ address, password, name: more.name, quotaBytes: more.quotaBytes ?? null })
      await server.ctx.store.accounts.provision(principal.id, { bytes: principal.quotaBytes })
      return principal
    },
    async stop() {
      if (stopped) return
      stopped = true
      await server.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

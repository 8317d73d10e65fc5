/**
 * A receiving MTA for outbound tests: a second smtp-server on loopback that records what it gets
 * and answers each recipient as the test scripts it (accept, defer N times, refuse).
 */
import { SMTPServer } from 'smtp-server'
import type { DnsResolver } from '../../../src/transport/outbound/mx.ts'

export interface SinkMessage {
  from: string
  to: string[]
  raw: Buffer
  secure: boolean
  /** The AUTH user, when the client authenticated. */
  user?: string
  dsn: unknown
}

export interface Sink {
  port: number
  messages: SinkMessage[]
  /** How many RCPTs of an address have been deferred so far. */
  deferrals: Map<string, number>
  /** Connections accepted so far (connection reuse shows as fewer connections than messages). */
  connections(): number
  close(): Promise<void>
}

/**
 * Local parts decide: `reject*` → 550 5.1.1; `defer<N>*` → 451 4.2.0 the first N times;
 * `always-defer*` → 451 forever; anything else is accepted.
 */
export async function startSink(options: { auth?: { user: string; pass: string }; size?: number } = {}): Promise<Sink> {
  const messages: SinkMessage[] = []
  const deferrals = new Map<string, number>()
  const server = new SMTPServer({
    authOptional: !options.auth,
    size: options.size,
    disabledCommands: options.auth ? [] : ['AUTH'],
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username })
      callback(Object.assign(new Error('5.7.8 Bad credentials'), { responseCode: 535 }))
    },
    hideDSN: false,
    logger: false,
    disableReverseLookup: true,
    onMailFrom(address, _session, callback) {
      if (address.address.startsWith('reject')) return callback(Object.assign(new Error('5.1.8 Bad sender'), { responseCode: 550 }))
      callback()
    },
    onRcptTo(address, _session, callback) {
      const local = address.address.split('@')[0]
      const seen = deferrals.get(address.address) ?? 0
      const defer = /^defer(\d+)/.exec(local)
      if (local.startsWith('reject')) return callback(Object.assign(new Error('5.1.1 No such mailbox here'), { responseCode: 550 }))
      if (local.startsWith('always-defer') || (defer && seen < Number(defer[1]))) {
        deferrals.set(address.address, seen + 1)
        return callback(Object.assign(new Error('4.2.0 Greylisted, come back later'), { responseCode: 451 }))
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          user: session.user as string | undefined,
          dsn: session.envelope.dsn,
        })
        callback()
      })
    },
  })
  let connections = 0
  server.on('connect', () => { connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    messages,
    deferrals,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function dnsError(code: string): Error {
  return Object.assign(new Error(`query ${code}`), { code })
}

/**
 * DNS for the tests: remote.test has an MX on loopback; amx.test has only an A record;
 * nullmx.test publishes a null MX (RFC 7505); everything else does not exist.
 */
export function stubResolver(): DnsResolver {
  return {
    async resolveMx(name) {
      if (name === 'remote.test') return [{ exchange: 'mx2.remote.test', priority: 20 }, { exchange: 'mx1.remote.test', priority: 10 }]
      if (name === 'nullmx.test') return [{ exchange: '', priority: 0 }]
      if (name === 'amx.test') throw dnsError('ENODATA')
      throw dnsError('ENOTFOUND')
    },
    async resolve4(name) {
      if (name === 'mx1.remote.test' || name === 'mx2.remote.test' || name === 'amx.test') return ['127.0.0.1']
      throw dnsError('ENOTFOUND')
    },
    async resolve6() {
      throw dnsError('ENODATA')
    },
  }
}

/**
 * The TCP side of every line protocol (IMAP, POP3, ManageSieve): a plain listener (STARTTLS/STLS
 * offered by the protocol) or an implicit-TLS one (RFC 8314), per-IP connection limits, idle
 * timeouts, and the STARTTLS upgrade itself. Protocol-neutral: the protocol gets a
 * `LineConnection` and drives it; nothing here knows a command.
 *
 * Usage (POP3 the same way):
 *   const service = await startLineListener(ctx, {
 *     name: 'imap', key: 'listen.imap', implicitTls: false, maxConnectionsPerIp: 100,
 *     refuse: (socket) => socket.end('* BYE Too many connections from your address\r\n'),
 *     onConnection: (conn) => runSession(conn),
 *   })
 */
import { createServer, BlockList, isIPv4, isIPv6, type Socket } from 'node:net'
import { TLSSocket, createSecureContext, createServer as createTlsServer, type SecureVersion } from 'node:tls'
import { listen } from '../../net/listen.ts'
import type { ConfigKey } from '../../config/schema.ts'
import type { ServerContext, Service, TlsMaterial } from '../../server-context.ts'

/** A TLS handshake that never completes would hold a connection slot forever (slowloris). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 30_000
/**
 * Connections per listener, whatever their source: a botnet spread over many addresses passes the
 * per-address limit, and every connection costs a descriptor and its buffers. Generous, because
 * thousands of idle IMAP clients are normal (SMTP has its own: MAX_CLIENTS_PER_LISTENER).
 */
export const MAX_CONNECTIONS_PER_LISTENER = 10_000

export interface LineConnection {
  /** The current transport: a plain socket, or a TLSSocket after implicit TLS or STARTTLS. */
  socket: Socket
  /** Client address (IPv4-mapped IPv6 unwrapped). */
  readonly remote: string
  /** TLS is on (implicit, or after `upgradeToTls`). */
  secure: boolean
  /** The client is in `trusted_networks` (plaintext authentication allowed without TLS). */
  readonly trusted: boolean
  /** Set by the protocol session: called when the service stops (say BYE, then end). */
  onShutdown?: () => void
}

export interface LineListenerOptions {
  /** Service name, also the metrics label ('imap', 'pop3'). */
  name: string
  key: ConfigKey
  implicitTls: boolean
  maxConnectionsPerIp: number
  /** Connections at once on this listener; MAX_CONNECTIONS_PER_LISTENER when absent. */
  maxConnections?: number
  /** Called for a connection over the per-IP or per-listener limit: write the protocol's refusal and end it. */
  refuse(socket: Socket): void
  onConnection(connection: LineConnection): void
}

/** Starts one listener; returns null when the listener is configured off (empty). */
export async function startLineListener(ctx: ServerContext, options: LineListenerOptions): Promise<Service | null> {
  const at = ctx.config.listener(options.key)
  if (!at) return null
  const trusted = networkList(ctx.config.list('trusted_networks'))
  const perIp = new Map<string, number>()
  const open = new Set<LineConnection>()
  const { name } = options
  const maxConnections = options.maxConnections ?? MAX_CONNECTIONS_PER_LISTENER

  const accept = (socket: Socket) => {
    const remote = unmapped(socket.remoteAddress ?? '')
    const count = perIp.get(remote) ?? 0
    if (count >= options.maxConnectionsPerIp || open.size >= maxConnections) {
      socket.on('error', () => {})
      options.refuse(socket)
      setTimeout(() => socket.destroy(), 1000).unref()
      return
    }
    perIp.set(remote, count + 1)
    ctx.metrics.connections.inc({ protocol: name })
    ctx.metrics.activeConnections.inc({ protocol: name })
    const connection: LineConnection = {
      socket,
      remote,
      secure: socket instanceof TLSSocket,
      trusted: isTrusted(trusted, remote),
    }
    open.add(connection)
    socket.once('close', () => {
      open.delete(connection)
      const left = (perIp.get(remote) ?? 1) - 1
      if (left <= 0) perIp.delete(remote)
      else perIp.set(remote, left)
      ctx.metrics.activeConnections.dec({ protocol: name })
    })
    socket.on('error', () => {}) // resets are normal; the session sees 'close'
    socket.setNoDelay(true)
    options.onConnection(connection)
  }

  const server = options.implicitTls
    ? createTlsServer({ ...tlsOptions(ctx), handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, accept)
    : createServer(accept)
  if (options.implicitTls) {
    // Certificates can be swapped (SIGHUP): pick the new one up for the connections that follow.
    const tlsServer = server as ReturnType<typeof createTlsServer>
    let material = ctx.tls.current()
    tlsServer.on('tlsClientError', () => {})
    // prependListener: tls.Server builds the TLSSocket in its own 'connection' listener, so ours
    // must run first for the very first connection after a reload to get the new certificate.
    tlsServer.prependListener('connection', () => {
      const now = ctx.tls.current()
      if (now !== material) {
        material = now
        tlsServer.setSecureContext(tlsOptions(ctx))
      }
    })
  }
  const address = await listen(server, options.key, at)
  return {
    name: `${name}${options.implicitTls ? 's' : ''}`,
    address,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const connection of open) {
          if (connection.onShutdown) connection.onShutdown()
          else connection.socket.destroy()
        }
        // Sessions get a moment to say BYE; stragglers are cut.
        setTimeout(() => { for (const c of open) c.socket.destroy() }, 500).unref()
      })
    },
  }
}

/** The TLS options of the current certificate, with the configured minimum version. */
export function tlsOptions(ctx: ServerContext) {
  return { ...ctx.tls.current(), minVersion: ctx.config.string('tls.min_version') as SecureVersion }
}

/**
 * Upgrades a plain connection in place (STARTTLS, STLS). The caller must have detached its
 * LineReader first so no plaintext byte pipelined before the handshake is read afterwards.
 * Resolves with the secure socket once the handshake is done; rejects (and destroys) on failure.
 */
export function upgradeToTls(connection: LineConnection, material: TlsMaterial, minVersion: string): Promise<TLSSocket> {
  const plain = connection.socket
  const secure = new TLSSocket(plain, {
    isServer: true,
    secureContext: createSecureContext({ ...material.current(), minVersion: minVersion as SecureVersion }),
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), TLS_HANDSHAKE_TIMEOUT_MS)
    // A client that hangs up mid-handshake may not make the TLS socket emit an error: settle now
    // rather than leave the session (and the timer) pending for 30 s.
    const closed = () => fail(new Error('Connection closed during the TLS handshake'))
    const fail = (error: Error) => {
      clearTimeout(timer)
      plain.off('close', closed)
      secure.destroy()
      plain.destroy()
      reject(error)
    }
    plain.once('close', closed)
    secure.once('error', fail)
    secure.once('secure', () => {
      clearTimeout(timer)
      plain.off('close', closed)
      secure.off('error', fail)
      secure.on('error', () => {})
      connection.socket = secure
      connection.secure = true
      resolve(secure)
    })
  })
}

/** Parses `trusted_networks` CIDRs ("127.0.0.0/8", "::1/128", "10.1.2.3"). */
export function networkList(cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/')
    const type = isIPv6(address) ? 'ipv6' : 'ipv4'
    if (!isIPv4(address) && !isIPv6(address)) throw new RangeError(`trusted_networks: "${cidr}" is not an address or CIDR`)
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(bits), type)
  }
  return list
}

export function isTrusted(list: BlockList, remote: string): boolean {
  if (!remote) return false
  return list.check(remote, isIPv6(remote) ? 'ipv6' : 'ipv4')
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so limits and trust apply per real client address. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

/**
 * The IMAP service: `listen.imap` (STARTTLS; LOGINDISABLED before TLS outside trusted networks)
 * and `listen.imaps` (implicit TLS, RFC 8314), one hub dispatching store events to sessions.
 */
import type { ServerContext, Service } from '../../server-context.ts'
import { startLineListener } from '../line/listener.ts'
import { ImapHub } from './hub.ts'
import { ImapSession } from './session.ts'

export async function startImap(ctx: ServerContext): Promise<Service[]> {
  const hub = new ImapHub(ctx)
  const services: Service[] = []
  try {
    for (const [key, implicitTls] of [['listen.imap', false], ['listen.imaps', true]] as const) {
      const service = await startLineListener(ctx, {
        name: 'imap',
        key,
        implicitTls,
        maxConnectionsPerIp: ctx.config.number('imap.max_connections_per_ip'),
        refuse: (socket) => socket.end('* BYE [UNAVAILABLE] Too many connections from your address\r\n'),
        onConnection: (connection) => {
          void new ImapSession(hub, connection).run()
        },
      })
      if (service) services.push(service)
    }
  } catch (error) {
    await Promise.all(services.map((s) => s.close()))
    hub.close()
    throw error
  }
  if (services.length) {
    const first = services[0]
    services[0] = {
      name: first.name,
      address: first.address,
      async close() {
        hub.close()
        await first.close()
      },
    }
  } else hub.close()
  return services
}

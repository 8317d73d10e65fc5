/**
 * The POP3 service: `listen.pop3` (STLS; no plaintext authentication before TLS outside
 * `trusted_networks`) and `listen.pop3s` (implicit TLS, RFC 8314), sharing one maildrop lock table.
 */
import type { ServerContext, Service } from '../../server-context.ts'
import { startLineListener } from '../line/listener.ts'
import { MaildropLocks } from './locks.ts'
import { Pop3Session } from './session.ts'

export async function startPop3(ctx: ServerContext): Promise<Service[]> {
  const locks = new MaildropLocks()
  const services: Service[] = []
  try {
    for (const [key, implicitTls] of [['listen.pop3', false], ['listen.pop3s', true]] as const) {
      const service = await startLineListener(ctx, {
        name: 'pop3',
        key,
        implicitTls,
        maxConnectionsPerIp: ctx.config.number('pop3.max_connections_per_ip'),
        refuse: (socket) => socket.end('-ERR [SYS/TEMP] Too many connections from your address\r\n'),
        onConnection: (connection) => {
          void new Pop3Session(ctx, connection, locks).run()
        },
      })
      if (service) services.push(service)
    }
  } catch (error) {
    await Promise.all(services.map((s) => s.close()))
    throw error
  }
  return services
}

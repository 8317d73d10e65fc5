import type { Server } from 'node:net'
import type { Listener } from '../config/load.ts'
import { CONFIG_KEYS, envName, type ConfigKey } from '../config/schema.ts'

export class ListenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ListenError'
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
}

/**
 * Binds a server to a configured listener. On failure throws one line that names the listener,
 * the address and the key to change, as start-up must report it.
 */
export function listen(server: Server, key: ConfigKey, at: Listener): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const spec = CONFIG_KEYS.find((s) => s.key === key)!
      const reason = REASONS[error.code ?? ''] ?? error.message
      reject(new ListenError(
        `Cannot listen for ${key} on ${at.host}:${at.port}: ${reason}; set ${envName(spec)} (or ${key} in the config file) to another host:port, or empty to turn it off`,
        { cause: error },
      ))
    }
    server.once('error', onError)
    server.listen(at.port, at.host, () => {
      server.off('error', onError)
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : at.port
      resolve({ host: at.host, port })
    })
  })
}

import { Counter, Gauge, Registry } from 'prom-client'

/**
 * Prometheus metrics, one registry per server instance (no globals: tests run several servers in
 * one process). Every protocol increments these; `web/metrics.ts` serves the registry.
 */
export function createMetrics() {
  const registry = new Registry()
  return {
    registry,
    connections: new Counter({ name: 'tidings_connections_total', help: 'Connections accepted', labelNames: ['protocol'] as const, registers: [registry] }),
    activeConnections: new Gauge({ name: 'tidings_connections_active', help: 'Connections open now', labelNames: ['protocol'] as const, registers: [registry] }),
    logins: new Counter({ name: 'tidings_logins_total', help: 'Authentication attempts', labelNames: ['protocol', 'result'] as const, registers: [registry] }),
    messages: new Counter({ name: 'tidings_messages_total', help: 'Messages by transport outcome', labelNames: ['outcome'] as const, registers: [registry] }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

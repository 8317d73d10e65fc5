/**
 * The router: picks how a remote domain is reached, from the config file's `[routes."domain"]`
 * tables (`config.routes()`): direct MX (the default), a smarthost, or local (never relayed out:
 * recipients the directory doesn't know there bounce). `"*"` is the fallback.
 */

export const ROUTE_TYPES = ['mx', 'smarthost', 'local'] as const
export type RouteType = (typeof ROUTE_TYPES)[number]

export interface Route {
  type: RouteType
  /** smarthost: the host to connect to. */
  host: string | null
  /** The port to connect to (25 unless set). */
  port: number
  /** `required`: never send in clear text; `opportunistic`: STARTTLS when offered. */
  tls: 'required' | 'opportunistic'
  /** Check the peer's certificate (only meaningful with tls = "required"). */
  verify: boolean
  auth: { user: string; pass: string } | null
}

const DEFAULT_ROUTE: Route = { type: 'mx', host: null, port: 25, tls: 'opportunistic', verify: false, auth: null }

export type RouteTable = ReadonlyMap<string, Route>

/** Validates the raw tables; a bad one throws naming the domain and field (start-up stops). */
export function parseRoutes(raw: Record<string, Record<string, unknown>>): RouteTable {
  const table = new Map<string, Route>()
  for (const [domain, spec] of Object.entries(raw)) {
    const where = `routes."${domain}"`
    const type = spec.type ?? 'mx'
    if (typeof type !== 'string' || !(ROUTE_TYPES as readonly string[]).includes(type)) throw new TypeError(`${where}.type must be one of ${ROUTE_TYPES.join(', ')}`)
    const host = spec.host === undefined ? null : String(spec.host)
    if (type === 'smarthost' && !host) throw new TypeError(`${where}.host is required for a smarthost route`)
    const port = spec.port === undefined ? 25 : Number(spec.port)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${where}.port must be 1-65535`)
    const tls = spec.tls ?? 'opportunistic'
    if (tls !== 'required' && tls !== 'opportunistic') throw new TypeError(`${where}.tls must be "required" or "opportunistic"`)
    const auth = spec.auth_user === undefined ? null : { user: String(spec.auth_user), pass: String(spec.auth_pass ?? '') }
    table.set(domain.toLowerCase(), { type: type as RouteType, host, port, tls, verify: spec.verify === true || (tls === 'required' && spec.verify !== false), auth })
  }
  return table
}

/** The route for a domain: its own table, else `"*"`, else direct MX on port 25. */
export function routeFor(table: RouteTable, domain: string): Route {
  return table.get(domain.toLowerCase()) ?? table.get('*') ?? DEFAULT_ROUTE
}

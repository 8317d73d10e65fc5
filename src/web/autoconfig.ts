import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import { mailEndpoints, type MailEndpoint } from './mail-endpoints.ts'
import { escapeXml } from './xml.ts'

/** Longer `emailaddress` parameters are ignored: RFC 5321 §4.5.3.1 caps a path at 256 octets. */
const MAX_ADDRESS_LENGTH = 254

/**
 * Thunderbird autoconfig (the "ISPDB" format, config-v1.1.xml): Thunderbird asks
 * `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…` and
 * `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`. The username is the whole address
 * (`%EMAILADDRESS%`), passwords go in the clear over TLS (`password-cleartext`).
 */
export function registerAutoconfig(app: FastifyInstance, ctx: ServerContext): void {
  for (const path of ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml']) {
    app.get(path, async (request: FastifyRequest<{ Querystring: { emailaddress?: string } }>, reply) => {
      reply.type('application/xml; charset=utf-8')
      return autoconfigXml(ctx, domainFor(ctx, request.query.emailaddress, request.hostname))
    })
  }
}

/** The mail domain asked about: the address's, else the Host name without `autoconfig.`. */
export function domainFor(ctx: ServerContext, address: unknown, host: string): string {
  if (typeof address === 'string' && address.length <= MAX_ADDRESS_LENGTH) {
    const at = address.lastIndexOf('@')
    const domain = address.slice(at + 1).toLowerCase()
    if (at > 0 && /^[a-z0-9.-]+$/.test(domain)) return domain
  }
  const name = host.replace(/:\d+$/, '').toLowerCase()
  if (/^[a-z0-9.-]+$/.test(name) && !/^[\d.]+$/.test(name) && name !== 'localhost') return name.replace(/^(autoconfig|autodiscover)\./, '')
  return ctx.config.string('hostname')
}

export function autoconfigXml(ctx: ServerContext, domain: string): string {
  const hostname = escapeXml(ctx.config.string('hostname'))
  const server = (tag: string, e: MailEndpoint) => [
    `    <${tag} type="${e.protocol}">`,
    `      <hostname>${hostname}</hostname>`,
    `      <port>${e.port}</port>`,
    `      <socketType>${e.security === 'tls' ? 'SSL' : 'STARTTLS'}</socketType>`,
    `      <authentication>password-cleartext</authentication>`,
    `      <username>%EMAILADDRESS%</username>`,
    `    </${tag}>`,
  ]
  const endpoints = mailEndpoints(ctx.config)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${escapeXml(domain)}">`,
    `    <domain>${escapeXml(domain)}</domain>`,
    `    <displayName>${escapeXml(domain)} mail</displayName>`,
    `    <displayShortName>${escapeXml(domain)}</displayShortName>`,
    ...endpoints.filter((e) => e.protocol !== 'smtp').flatMap((e) => server('incomingServer', e)),
    ...endpoints.filter((e) => e.protocol === 'smtp').flatMap((e) => server('outgoingServer', e)),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n')
}

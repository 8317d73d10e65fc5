import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import { mailEndpoints, type MailEndpoint } from './mail-endpoints.ts'
import { child, escapeXml, parseXml, XmlSyntaxError, type XmlElement } from './xml.ts'

/** An Autodiscover request is a few hundred bytes; a bigger body is refused (413) unread. */
export const AUTODISCOVER_BODY_LIMIT = 1024 * 1024

export const REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006'
export const RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'
const ENVELOPE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006'

const PROTOCOL_TYPE = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' } as const

/**
 * Outlook's "POX" Autodiscover ([MS-OXDSCLI] §2.2.4): Outlook POSTs its address and the response
 * schema it accepts; we answer with one Protocol block per mail listener. Exchange's own protocols
 * (EXCH/EXPR, MAPI) and ActiveSync ("mobilesync") are not offered: those requests get error 601.
 */
export function registerAutodiscover(app: FastifyInstance, ctx: ServerContext): void {
  app.register(async (scope) => {
    // Whatever Content-Type the client claims (Outlook: text/xml), the body is read as bounded text.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: AUTODISCOVER_BODY_LIMIT }, (_request, body, done) => done(null, body))
    for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
      scope.post(path, { bodyLimit: AUTODISCOVER_BODY_LIMIT }, async (request, reply) => {
        let doc: XmlElement
        try {
          doc = parseXml(typeof request.body === 'string' ? request.body : '')
        } catch (error) {
          if (!(error instanceof XmlSyntaxError)) throw error
          reply.code(400).type('text/plain; charset=utf-8')
          return `Malformed Autodiscover request: ${error.message}\n`
        }
        reply.type('text/xml; charset=utf-8')
        const req = doc.name === 'Autodiscover' && doc.ns === REQUEST_SCHEMA ? child(doc, 'Request') : undefined
        const schema = req && child(req, 'AcceptableResponseSchema')?.text.trim()
        if (!req || !schema) return errorXml(RESPONSE_SCHEMA, 600, 'Invalid Request')
        if (schema !== RESPONSE_SCHEMA) return errorXml(schema, 601, 'Provider is not available')
        const address = child(req, 'EMailAddress')?.text.trim() ?? ''
        return settingsXml(ctx, address)
      })
    }
  })
}

function settingsXml(ctx: ServerContext, address: string): string {
  const hostname = escapeXml(ctx.config.string('hostname'))
  // Without an address Outlook fills in the user name itself; with one, the login is the address.
  const login = address ? `        <LoginName>${escapeXml(address)}</LoginName>` : null
  const protocol = (e: MailEndpoint) => [
    '      <Protocol>',
    `        <Type>${PROTOCOL_TYPE[e.protocol]}</Type>`,
    `        <Server>${hostname}</Server>`,
    `        <Port>${e.port}</Port>`,
    ...(login ? [login] : []),
    '        <DomainRequired>off</DomainRequired>',
    '        <SPA>off</SPA>',
    // SSL on = implicit TLS; for a STARTTLS port Outlook wants SSL off and Encryption TLS.
    `        <SSL>${e.security === 'tls' ? 'on' : 'off'}</SSL>`,
    ...(e.security === 'starttls' ? ['        <Encryption>TLS</Encryption>'] : []),
    '        <AuthRequired>on</AuthRequired>',
    ...(e.protocol === 'smtp' ? ['        <UsePOPAuth>on</UsePOPAuth>', '        <SMTPLast>off</SMTPLast>'] : []),
    '      </Protocol>',
  ]
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${ENVELOPE_SCHEMA}">`,
    `  <Response xmlns="${RESPONSE_SCHEMA}">`,
    '    <Account>',
    '      <AccountType>email</AccountType>',
    '      <Action>settings</Action>',
    ...mailEndpoints(ctx.config).flatMap(protocol),
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n')
}

/** The documented error answer ([MS-OXDSCLI] §2.2.4.1.1.3, [MS-ASCMD] §2.2.3.64), with HTTP 200. */
function errorXml(schema: string, code: 600 | 601, message: string): string {
  const time = new Date().toISOString().slice(11, 23)
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${ENVELOPE_SCHEMA}">`,
    `  <Response xmlns="${escapeXml(schema)}">`,
    `    <Error Time="${time}" Id="${randomInt(1, 2 ** 31 - 1)}">`,
    `      <ErrorCode>${code}</ErrorCode>`,
    `      <Message>${message}</Message>`,
    '      <DebugData />',
    '    </Error>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n')
}

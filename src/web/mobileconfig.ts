import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ServerContext } from '../server-context.ts'
import type { Principal } from '../directory/directory.ts'
import { mailEndpoints } from './mail-endpoints.ts'
import { isTrusted, networkList, unmapped } from '../access/line/listener.ts'
import { escapeXml } from './xml.ts'

/** A Basic credentials header longer than this is refused: stops scrypt on megabyte passwords. */
const MAX_AUTHORIZATION_LENGTH = 1024

/**
 * An Apple configuration profile (`.mobileconfig`, a property list holding one
 * `com.apple.mail.managed` payload) for the authenticated user's IMAP + SMTP account. Behind HTTP
 * Basic authentication (RFC 7617); over plain HTTP only from `trusted_networks`. The password is
 * never put in the profile: the device asks for it on install.
 */
export function registerMobileconfig(app: FastifyInstance, ctx: ServerContext): void {
  for (const path of ['/mobileconfig', '/mail.mobileconfig']) {
    app.get(path, async (request, reply) => {
      const principal = await basicAuth(ctx, request, reply)
      if (!principal) return reply
      reply.type('application/x-apple-aspen-config; charset=utf-8')
      reply.header('content-disposition', 'attachment; filename="mail.mobileconfig"')
      return mobileconfigPlist(ctx, principal)
    })
  }
}

/** Checks Basic credentials through the directory; on failure sends the reply and returns null. */
async function basicAuth(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
  if (request.protocol !== 'https' && !isTrusted(networkList(ctx.config.list('trusted_networks')), unmapped(request.ip))) {
    reply.code(403).type('text/plain; charset=utf-8').send('Use HTTPS: passwords are not accepted over plain HTTP\n')
    return null
  }
  const header = request.headers.authorization ?? ''
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.length <= MAX_AUTHORIZATION_LENGTH ? header.trim() : '')
  const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  if (colon <= 0) {
    reply.code(401).header('www-authenticate', 'Basic realm="Tidings", charset="UTF-8"').type('text/plain; charset=utf-8').send('Authentication required\n')
    return null
  }
  const credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  // DirectoryError (bad credentials, throttled …) goes to errors.ts, the one mapping to HTTP.
  return ctx.directory.authenticate(credentials, { remote: request.ip, protocol: 'http' })
}

function mobileconfigPlist(ctx: ServerContext, user: Principal): string {
  const hostname = ctx.config.string('hostname')
  const endpoints = mailEndpoints(ctx.config)
  const incoming = endpoints.find((e) => e.protocol === 'imap')
  const outgoing = endpoints.find((e) => e.protocol === 'smtp')
  // Stable identifiers, so reinstalling the profile replaces the account instead of adding one.
  const id = (what: string) => uuidFrom(`${hostname} ${user.address} ${what}`)
  const reverse = hostname.split('.').reverse().join('.')
  const s = (v: string) => `<string>${escapeXml(v)}</string>`
  const entry = (key: string, value: string) => `\t\t\t<key>${key}</key>\n\t\t\t${value}`
  const mail = [
    entry('EmailAccountDescription', s(user.address)),
    entry('EmailAccountName', s(user.name || user.address)),
    entry('EmailAccountType', s('EmailTypeIMAP')),
    entry('EmailAddress', s(user.address)),
    entry('IncomingMailServerAuthentication', s('EmailAuthPassword')),
    entry('IncomingMailServerHostName', s(hostname)),
    entry('IncomingMailServerPortNumber', `<integer>${incoming?.port ?? 993}</integer>`),
    entry('IncomingMailServerUseSSL', '<true/>'),
    entry('IncomingMailServerUsername', s(user.address)),
    entry('OutgoingMailServerAuthentication', s('EmailAuthPassword')),
    entry('OutgoingMailServerHostName', s(hostname)),
    entry('OutgoingMailServerPortNumber', `<integer>${outgoing?.port ?? 465}</integer>`),
    entry('OutgoingMailServerUseSSL', '<true/>'),
    entry('OutgoingMailServerUsername', s(user.address)),
    entry('OutgoingPasswordSameAsIncomingPassword', '<true/>'),
    entry('PayloadDisplayName', s(`Mail: ${user.address}`)),
    entry('PayloadIdentifier', s(`${reverse}.mail.${id('account')}`)),
    entry('PayloadType', s('com.apple.mail.managed')),
    entry('PayloadUUID', s(id('account'))),
    entry('PayloadVersion', '<integer>1</integer>'),
  ]
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '\t<key>PayloadContent</key>',
    '\t<array>',
    '\t\t<dict>',
    ...mail,
    '\t\t</dict>',
    '\t</array>',
    '\t<key>PayloadDisplayName</key>',
    `\t${s(`${hostname} mail`)}`,
    '\t<key>PayloadIdentifier</key>',
    `\t${s(`${reverse}.profile.${id('profile')}`)}`,
    '\t<key>PayloadType</key>',
    '\t<string>Configuration</string>',
    '\t<key>PayloadUUID</key>',
    `\t${s(id('profile'))}`,
    '\t<key>PayloadVersion</key>',
    '\t<integer>1</integer>',
    '</dict>',
    '</plist>',
    '',
  ].join('\n')
}

/** A name-based UUID (RFC 9562 §5.8 layout) from a SHA-256 of `text`. */
function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest()
  h[6] = (h[6] & 0x0f) | 0x80
  h[8] = (h[8] & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex').toUpperCase()
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

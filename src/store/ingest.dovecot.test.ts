/**
 * Dovecot as an oracle: the same messages go through Dovecot's own IMAP process (pre-authenticated
 * on stdin/stdout over a temporary maildir) and through ingest; BODYSTRUCTURE and ENVELOPE built
 * from our tree must equal Dovecot's, up to letter case and literal-versus-quoted strings (forms
 * IMAP treats alike). Skipped, with the reason, where Dovecot is not installed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import nodemailer from 'nodemailer'
import { parseMessage } from './ingest.ts'
import type { Envelope, EnvelopeAddress, MimePart } from './mime.ts'

const DOVECOT_IMAP = '/usr/lib/dovecot/imap'
const FIXTURES = resolve(import.meta.dirname, '../../test/fixtures/mail')

/** Runs Dovecot's imap process over `messages` and returns each message's FETCH attributes. */
function dovecotFetch(messages: Buffer[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-dovecot-'))
  try {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, 'md', sub), { recursive: true })
    messages.forEach((m, i) => writeFileSync(join(dir, 'md', 'cur', `${String(i + 1).padStart(6, '0')}.test:2,S`), m))
    // Dovecot refuses to run mail access as root: as root, drop to nobody.
    const root = process.getuid?.() === 0
    const user = root ? 'nobody' : userInfo().username
    writeFileSync(join(dir, 'dovecot.conf'), [
      `mail_location = maildir:${dir}/md`, `log_path = ${dir}/log`, 'protocols = imap', 'ssl = no',
      `mail_uid = ${user}`, `mail_gid = ${root ? 'nogroup' : userInfo().gid}`, 'first_valid_uid = 0', 'first_valid_gid = 0', '',
    ].join('\n'))
    if (root) execFileSync('chown', ['-R', 'nobody:nogroup', dir])
    chmodSync(dir, 0o755)
    const command = root ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : []
    const out = execFileSync(command[0] ?? 'env', [...command.slice(1), ...(root ? ['env'] : []), 'USER=oracle', `HOME=${dir}`, DOVECOT_IMAP, '-c', join(dir, 'dovecot.conf')], {
      input: 'a SELECT INBOX\r\nb FETCH 1:* (BODYSTRUCTURE ENVELOPE)\r\nc LOGOUT\r\n',
      maxBuffer: 1 << 26,
      stdio: ['pipe', 'pipe', 'ignore'],
    }).toString('utf8')
    const start = out.indexOf('* 1 FETCH ')
    const end = out.indexOf('\r\nb OK')
    assert.ok(start >= 0 && end > start, `Dovecot answered: ${out.slice(0, 300)}`)
    return out.slice(start, end).split(/\r\n(?=\* \d+ FETCH \()/).map((s) => s.replace(/^\* \d+ FETCH /, ''))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// A minimal encoder of our own, so this test checks ingest, not the IMAP helper's encoder.
function str(value: string | null): string {
  return value === null ? 'NIL' : '"' + value.replace(/[\\"]/g, (c) => '\\' + c) + '"'
}
function params(pairs: ReadonlyArray<[string, string]>): string {
  return pairs.length === 0 ? 'NIL' : '(' + pairs.map(([k, v]) => `${str(k)} ${str(v)}`).join(' ') + ')'
}
function extension(part: MimePart): string {
  const disposition = part.disposition === null ? 'NIL' : `(${str(part.disposition.type)} ${params(part.disposition.rawParams)})`
  const language = part.language === null ? 'NIL' : '(' + part.language.map(str).join(' ') + ')'
  return `${disposition} ${language} ${str(part.location)}`
}
function addresses(list: readonly EnvelopeAddress[]): string {
  return list.length === 0 ? 'NIL' : '(' + list.map((a) => `(${str(a.name)} ${str(a.adl)} ${str(a.mailbox)} ${str(a.host)})`).join('') + ')'
}
function envelope(e: Envelope): string {
  return `(${str(e.date)} ${str(e.subject)} ${addresses(e.from)} ${addresses(e.sender)} ${addresses(e.replyTo)} ${addresses(e.to)} ${addresses(e.cc)} ${addresses(e.bcc)} ${str(e.inReplyTo)} ${str(e.messageId)})`
}
function bodystructure(part: MimePart): string {
  if (part.parts) return `(${part.parts.map(bodystructure).join('')} ${str(part.subtype)} ${params(part.rawParams)} ${extension(part)})`
  let out = `(${str(part.type)} ${str(part.subtype)} ${params(part.rawParams)} ${str(part.id)} ${str(part.description)} ${str(part.encoding)} ${part.size}`
  if (part.message) out += ` ${envelope(part.message.envelope)} ${bodystructure(part.message.root)} ${part.lines}`
  else if (part.type === 'text') out += ` ${part.lines}`
  return `${out} ${str(part.md5)} ${extension(part)})`
}

/** Literals become quoted strings and letters lower-case: differences of form only. */
function normalize(text: string): string {
  const bytes = Buffer.from(text)
  let out = ''
  let i = 0
  while (i < bytes.length) {
    const open = bytes.indexOf('{', i)
    const literal = open < 0 ? null : /^\{(\d+)\}\r\n/.exec(bytes.subarray(open, open + 20).toString('latin1'))
    if (open < 0 || literal === null) {
      out += bytes.subarray(i, open < 0 ? bytes.length : open + 1).toString()
      i = open < 0 ? bytes.length : open + 1
      continue
    }
    const start = open + literal[0].length
    out += bytes.subarray(i, open).toString() + str(bytes.subarray(start, start + Number(literal[1])).toString())
    i = start + Number(literal[1])
  }
  return out.toLowerCase()
}

function ours(raw: Buffer): string {
  const parsed = parseMessage(raw)
  return `(BODYSTRUCTURE ${bodystructure(parsed.mime)} ENVELOPE ${envelope(parsed.envelope)})`
}

async function corpus(): Promise<Array<[string, Buffer]>> {
  const messages: Array<[string, Buffer]> = readdirSync(FIXTURES).map((name) => [name, readFileSync(join(FIXTURES, name))])
  const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'))
  messages.push(
    ['missing close boundary', crlf('Content-Type: multipart/mixed; boundary="zz"\n\n--zz\n\nfirst\n--zz\n\nsecond, never closed\n')],
    ['multipart without boundary', crlf('Content-Type: multipart/mixed\n\nno parts here\n')],
    ['part without blank line', crlf('Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n--q\nContent-Type: text/html\n\n<p>x</p>\n--q--\n')],
    ['RFC 2231 merging', crlf("Content-Type: text/plain; b*1=x; b*0=y; a=z; c*0*=utf-8''%C3%A4; c*1=%; d*0=1; d*2=2\n\nx\n")],
    ['groups, routes, comments', crlf('From: A Group:Ed Jones <c@a.test>,joe@where.test;\nTo: Undisclosed recipients:;\nCc: Joe <@relay.test,@other.test:joe@example.test>, "quoted local"@example.test\nBcc: jdoe@machine.example (John Doe), Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\n\nx\n')],
    ['repeated and folded fields', crlf('Subject: one\nSubject: two\n  folded\nFrom: a@b.test\nFrom: c@d.test\n\nx\n')],
  )
  // Messages a composer we did not write makes, with arbitrary text, names and attachments.
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' })
  const text = fc.string({ unit: 'grapheme', maxLength: 120 })
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => s.trim() !== '' && !/[\\/\0]/.test(s))
  const mail = fc.record({
    subject: text,
    body: text,
    html: fc.option(text),
    from: fc.record({ name: text, address: fc.constantFrom('a@example.test', 'b.c@example.org') }),
    files: fc.array(fc.tuple(name, fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/octet-stream', 'text/plain', 'message/rfc822')), { maxLength: 3 }),
    encoding: fc.constantFrom(undefined, 'base64', 'quoted-printable'),
  })
  const inner = (await transport.sendMail({ from: 'i@example.test', to: 'j@example.test', subject: 'inner', text: 'inner text' })).message as unknown as Buffer
  for (const [i, m] of fc.sample(mail, { numRuns: 60, seed: 2026 }).entries()) {
    const info = await transport.sendMail({
      from: m.from, to: 'x@example.test', subject: m.subject, text: m.body, html: m.html ?? undefined,
      textEncoding: m.encoding as 'base64' | 'quoted-printable' | undefined,
      attachments: m.files.map(([filename, content, contentType]) => ({ filename, contentType, content: contentType === 'message/rfc822' ? inner : Buffer.from(content) })),
    })
    messages.push([`composed ${i}`, info.message as unknown as Buffer])
  }
  return messages
}

const skip = existsSync(DOVECOT_IMAP) ? false : `Dovecot is not installed (${DOVECOT_IMAP}); the oracle comparison needs it`

test('BODYSTRUCTURE and ENVELOPE from ingest equal Dovecot 2.3 on the same messages', { skip }, async () => {
  const messages = await corpus()
  const theirs = dovecotFetch(messages.map(([, raw]) => raw))
  const differences: string[] = []
  messages.forEach(([name, raw], i) => {
    const a = normalize(ours(raw))
    const b = normalize(theirs[i] ?? '')
    if (a !== b) {
      let k = 0
      while (k < a.length && a[k] === b[k]) k++
      differences.push(`${name}:\n  ours:    ${a.slice(Math.max(0, k - 80), k + 120)}\n  dovecot: ${b.slice(Math.max(0, k - 80), k + 120)}`)
    }
  })
  assert.deepEqual(differences, [])
})

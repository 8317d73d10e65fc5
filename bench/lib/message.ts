/**
 * Test messages of a given size: RFC 5322 headers, a unique Message-ID, and a body of plain
 * 70-character lines of ordinary words (so full-text indexes have something real to chew on).
 */

const WORDS = ('the quick brown fox jumps over lazy dog mail server queue delivery folder message ' +
  'report meeting budget project update review draft invoice customer order shipping schedule ' +
  'weekly status notes agenda minutes question answer thanks regards please confirm tomorrow').split(' ')

const LINE = 70
let bodyBlock = ''

/** Deterministic filler text, long enough for the largest message we build (grown on demand). */
function filler(bytes: number): string {
  if (bodyBlock.length < bytes) {
    let seed = 12345
    const lines: string[] = []
    let length = 0
    while (length < bytes + LINE * 2) {
      let line = ''
      while (line.length < LINE - 12) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        line += (line ? ' ' : '') + WORDS[seed % WORDS.length]
      }
      lines.push(line)
      length += line.length + 2
    }
    bodyBlock = lines.join('\r\n') + '\r\n'
  }
  // Cut at a line end so the message stays well-formed.
  const end = bodyBlock.lastIndexOf('\r\n', Math.max(bytes, 2)) + 2
  return bodyBlock.slice(0, Math.max(end, 2))
}

export interface MessageOptions {
  /** Total size in bytes, approximately (±1 line). */
  size: number
  from: string
  to: string
  /** Unique part of the Message-ID. */
  id: string
  subject?: string
  date?: Date
  /** A word put on the first body line (the search scenario looks for it). */
  marker?: string
}

export function makeMessage(options: MessageOptions): Buffer {
  const header =
    `From: ${options.from}\r\n` +
    `To: ${options.to}\r\n` +
    `Subject: ${options.subject ?? 'Benchmark message ' + options.id}\r\n` +
    `Date: ${(options.date ?? new Date()).toUTCString().replace('GMT', '+0000')}\r\n` +
    `Message-ID: <${options.id}@bench.test>\r\n` +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=us-ascii\r\n' +
    '\r\n'
  const marker = options.marker ? `${options.marker} in this message\r\n` : ''
  const body = filler(Math.max(0, options.size - header.length - marker.length))
  return Buffer.from(header + marker + body, 'latin1')
}

/** RFC 5321 4.5.2: a line starting with '.' gets another one. Our filler never does, but a caller's might. */
export function dotStuff(raw: Buffer): Buffer {
  if (raw[0] !== 0x2e && raw.indexOf('\n.') === -1) return raw
  return Buffer.from(raw.toString('latin1').replace(/^\./, '..').replace(/\n\./g, '\n..'), 'latin1')
}

/**
 * mbox reading and writing (RFC 4155 `application/mbox`, the mboxrd and mboxo variants).
 *
 * mboxrd quotes every line matching `^>*From ` with one more `>` and unquotes by removing one, so
 * any message survives byte-for-byte; mboxo quotes only `^From ` and is lossy for bodies that
 * already held `>From `, which is why we write mboxrd and read either. Flags travel in the
 * `Status:`/`X-Status:`/`X-Keywords:` headers that mutt, Dovecot and Thunderbird use; see
 * `mbox-flags.ts`.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'

/** A message bigger than this is skipped and reported: stops one runaway record exhausting memory. */
export const MBOX_MAX_MESSAGE_BYTES = 100 * 1024 * 1024
/** Bytes read before deciding a file is not an mbox (leading blank lines are tolerated). */
const SNIFF_BYTES = 4096

export const MBOX_VARIANTS = ['mboxrd', 'mboxo'] as const
export type MboxVariant = (typeof MBOX_VARIANTS)[number]

export class NotMboxError extends Error {
  constructor(path: string) {
    super(`${path} is not an mbox file: it does not start with a "From " line`)
    this.name = 'NotMboxError'
  }
}

export type MboxEntry =
  | { index: number; offset: number; fromLine: string; raw: Uint8Array }
  | { index: number; offset: number; fromLine: string; error: string }

const LF = 0x0a
const CR = 0x0d
const GT = 0x3e
const FROM_ = Buffer.from('From ')

/** Does the file start (after blank lines) with a `From ` line? Reads only its first bytes. */
export async function looksLikeMbox(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0)
    const text = buffer.subarray(0, bytesRead).toString('latin1').replace(/^[\r\n]+/, '')
    // An empty file is an mbox with no messages (what an empty folder exports to).
    return text === '' || text.startsWith('From ')
  } finally {
    await handle.close()
  }
}

/**
 * Streams the messages of an mbox file, unquoted. A message boundary is a `From ` line at the
 * start of the file or after a blank line (RFC 4155 appendix A: the blank line belongs to the
 * separator, not the message). Throws NotMboxError before yielding anything for a file that
 * isn't one.
 */
export async function* readMbox(path: string, options: { variant?: MboxVariant; maxMessageBytes?: number } = {}): AsyncGenerator<MboxEntry> {
  if (!(await looksLikeMbox(path))) throw new NotMboxError(path)
  const variant = options.variant ?? 'mboxrd'
  const max = options.maxMessageBytes ?? MBOX_MAX_MESSAGE_BYTES
  let pending: Buffer = Buffer.alloc(0)
  let position = 0
  // Assigned inside the closures below, so TypeScript must not narrow it to null here.
  let current = null as { offset: number; fromLine: string; lines: Buffer[]; size: number; tooBig: boolean } | null
  let previousBlank = true
  let index = 0

  const finish = (): MboxEntry | null => {
    if (!current) return null
    const { offset, fromLine, lines, tooBig, size } = current
    current = null
    if (tooBig) return { index: index++, offset, fromLine, error: `message larger than ${max} bytes (${size}+)` }
    // The blank line before the next "From " (or at the end of the file) is the separator.
    if (lines.length > 0 && isBlank(lines[lines.length - 1])) lines.pop()
    return { index: index++, offset, fromLine, raw: Buffer.concat(lines) }
  }

  const takeLine = (line: Buffer, lineOffset: number): MboxEntry | null => {
    let done: MboxEntry | null = null
    if (previousBlank && startsWith(line, FROM_, 0)) {
      done = finish()
      current = { offset: lineOffset, fromLine: line.toString('latin1').trimEnd(), lines: [], size: 0, tooBig: false }
    } else if (current) {
      const body = unquote(line, variant)
      current.size += body.length
      if (current.size > max) {
        current.tooBig = true
        current.lines = []
      } else if (!current.tooBig) {
        current.lines.push(body)
      }
    }
    previousBlank = isBlank(line)
    return done
  }

  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
    let start = 0
    for (let nl = data.indexOf(LF, start); nl !== -1; nl = data.indexOf(LF, start)) {
      const line = data.subarray(start, nl + 1)
      const done = takeLine(line, position + start)
      if (done) yield done
      start = nl + 1
    }
    position += start
    pending = Buffer.from(data.subarray(start))
    if (pending.length > max) {
      // One endless line: the message it is in is too big; skip it without holding it.
      if (current) {
        current.tooBig = true
        current.lines = []
        current.size += pending.length
      }
      position += pending.length
      pending = Buffer.alloc(0)
      previousBlank = false
    }
  }
  if (pending.length > 0) {
    const done = takeLine(pending, position)
    if (done) yield done
  }
  const last = finish()
  if (last) yield last
}

/** One message as an mboxrd record: `From ` line, quoted message, blank separator line. */
export function mboxRecord(raw: Uint8Array, options: { sender?: string; date: number }): Buffer {
  const parts: Buffer[] = [Buffer.from(`From ${envelopeSender(options.sender)} ${asctime(options.date)}\n`)]
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  let start = 0
  while (start < bytes.length) {
    const nl = bytes.indexOf(LF, start)
    const end = nl === -1 ? bytes.length : nl + 1
    const line = bytes.subarray(start, end)
    if (needsQuote(line)) parts.push(Buffer.from('>'))
    parts.push(line)
    start = end
  }
  // A message that does not end with a newline gets one, so the separator line stays blank.
  if (bytes.length === 0 || bytes[bytes.length - 1] !== LF) parts.push(Buffer.from('\n'))
  parts.push(Buffer.from('\n'))
  return Buffer.concat(parts)
}

/** The internal date a `From ` line carries (asctime, taken as UTC), or undefined. */
export function fromLineDate(fromLine: string): number | undefined {
  // "From sender Mon Nov 23 16:27:59 2026" (some writers append a zone or put the year first).
  const m = /([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:[A-Z]{3,4}\s+)?(\d{4})/.exec(fromLine)
  if (!m) return undefined
  const month = MONTHS.indexOf(m[1])
  if (month < 0) return undefined
  const ms = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0))
  return Number.isFinite(ms) ? ms : undefined
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** `Mon Nov 23 16:27:59 2026` in UTC (the ctime(3) form RFC 4155 asks for). */
export function asctime(ms: number): string {
  const d = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`
}

/** An addr-spec without spaces for the `From ` line; MAILER-DAEMON when unknown. */
function envelopeSender(sender: string | undefined): string {
  const clean = (sender ?? '').replace(/[\s<>]/g, '')
  return clean === '' ? 'MAILER-DAEMON' : clean
}

/** `^>*From ` gets one more `>` (mboxrd). */
function needsQuote(line: Buffer): boolean {
  let i = 0
  while (i < line.length && line[i] === GT) i++
  return startsWith(line, FROM_, i)
}

function unquote(line: Buffer, variant: MboxVariant): Buffer {
  if (line[0] !== GT) return line
  if (variant === 'mboxo') return startsWith(line, FROM_, 1) ? line.subarray(1) : line
  return needsQuote(line.subarray(1)) ? line.subarray(1) : line
}

function startsWith(line: Buffer, prefix: Buffer, at: number): boolean {
  if (line.length - at < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false
  return true
}

function isBlank(line: Buffer): boolean {
  return (line.length === 1 && line[0] === LF) || (line.length === 2 && line[0] === CR && line[1] === LF)
}

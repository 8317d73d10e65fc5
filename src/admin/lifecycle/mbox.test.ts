import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { asctime, fromLineDate, mboxRecord, NotMboxError, readMbox, type MboxEntry } from './mbox.ts'
import { takeStatusHeaders, withStatusHeaders } from './mbox-flags.ts'

async function entries(text: string | Buffer, variant?: 'mboxrd' | 'mboxo', maxMessageBytes?: number): Promise<MboxEntry[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-mbox-'))
  try {
    writeFileSync(join(dir, 'a.mbox'), text)
    const out: MboxEntry[] = []
    for await (const e of readMbox(join(dir, 'a.mbox'), { variant, maxMessageBytes })) out.push(e)
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const raws = (list: MboxEntry[]) => list.map((e) => ('raw' in e ? Buffer.from(e.raw).toString('latin1') : `ERR ${e.error}`))

test('mbox: messages split at "From " lines after a blank line, separator removed', async () => {
  const text = 'From a@b Mon Nov 23 16:27:59 2026\nSubject: 1\n\nbody\nFrom here is not a separator\n\n' +
    'From c@d Tue Nov 24 01:02:03 2026\nSubject: 2\n\nx\n\n'
  assert.deepEqual(raws(await entries(text)), [
    'Subject: 1\n\nbody\nFrom here is not a separator\n',
    'Subject: 2\n\nx\n',
  ])
})

test('mboxrd: ">From " lines are unquoted by one level; mboxo only unquotes ">From "', async () => {
  const text = 'From a@b Mon Nov 23 16:27:59 2026\nSubject: q\n\n>From x\n>>From y\n>Fromage\n\n'
  assert.deepEqual(raws(await entries(text)), ['Subject: q\n\nFrom x\n>From y\n>Fromage\n'])
  assert.deepEqual(raws(await entries(text, 'mboxo')), ['Subject: q\n\nFrom x\n>>From y\n>Fromage\n'])
})

test('a file that does not start with "From " is refused with a clear error', async () => {
  await assert.rejects(entries('Subject: hi\n\nbody\n'), (e: Error) => e instanceof NotMboxError && /is not an mbox file/.test(e.message))
  await assert.rejects(entries(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2])), NotMboxError)
})

test('CRLF messages keep their line endings', async () => {
  const text = 'From a@b Mon Nov 23 16:27:59 2026\r\nSubject: c\r\n\r\nline\r\n\r\nFrom b@c Mon Nov 23 16:27:59 2026\r\nSubject: d\r\n\r\nz\r\n'
  assert.deepEqual(raws(await entries(text)), ['Subject: c\r\n\r\nline\r\n', 'Subject: d\r\n\r\nz\r\n'])
})

test('mboxRecord → readMbox round-trips any message ending in a newline (property)', async () => {
  const line = fc.stringMatching(/^(>{0,3}From [a-z]{0,5}|[a-zA-Z :>]{0,20})$/)
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(line, { minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (messages) => {
      const bodies = messages.map((lines) => 'Subject: t\n\n' + lines.map((l) => l + '\n').join(''))
      const file = Buffer.concat(bodies.map((b) => mboxRecord(Buffer.from(b), { date: 0 })))
      assert.deepEqual(raws(await entries(file)), bodies)
    }),
    { numRuns: 60 },
  )
})

test('From-line dates: asctime in UTC, and parsed back', () => {
  const ms = Date.UTC(2026, 10, 3, 4, 5, 6)
  assert.equal(asctime(ms), 'Tue Nov  3 04:05:06 2026')
  assert.equal(fromLineDate('From a@b ' + asctime(ms)), ms)
  assert.equal(fromLineDate('From a@b Tue Nov  3 04:05:06 UTC 2026'), ms)
  assert.equal(fromLineDate('From a@b garbage'), undefined)
})

test('Status/X-Status/X-Keywords carry flags and are removed again on read', () => {
  const raw = Buffer.from('Subject: s\r\nFrom: a@b\r\n\r\nbody\r\n')
  const withFlags = withStatusHeaders(raw, ['$answered', '$flagged', '$seen', 'Work', '$label1'])
  const text = Buffer.from(withFlags).toString()
  assert.match(text, /Status: RO\r\nX-Status: AF\r\nX-Keywords: Work \$label1\r\n\r\nbody/)
  const back = takeStatusHeaders(withFlags)
  assert.deepEqual(Buffer.from(back.raw), raw)
  assert.deepEqual(back.keywords, ['$answered', '$flagged', '$label1', '$seen', 'Work'])
})

test('status fields written by other tools are read (commas, folded lines)', () => {
  const raw = Buffer.from('Subject: s\nX-Keywords: a,b\n c\nStatus: O\nX-Status: T\n\nbody\n')
  const back = takeStatusHeaders(raw)
  assert.equal(Buffer.from(back.raw).toString(), 'Subject: s\n\nbody\n')
  assert.deepEqual(back.keywords, ['$draft', 'a', 'b', 'c'])
})

test('a message over the size limit (or one endless line) is reported and skipped, the next one read', async () => {
  const big = 'x'.repeat(600_000)
  const text = `From a@b Mon Nov 23 16:27:59 2026\nSubject: big\n\n${big}\n${big}\n\nFrom a@b Mon Nov 23 16:27:59 2026\nSubject: ok\n\nfine\n\n` +
    `From a@b Mon Nov 23 16:27:59 2026\nSubject: endless\n\n${'y'.repeat(1_200_000)}`
  const got = raws(await entries(text, undefined, 1_000_000))
  assert.equal(got.length, 3)
  assert.match(got[0], /^ERR message larger than 1000000 bytes/)
  assert.equal(got[1], 'Subject: ok\n\nfine\n')
  assert.match(got[2], /^ERR message larger than 1000000 bytes/)
})

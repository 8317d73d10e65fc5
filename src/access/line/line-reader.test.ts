import { test, mock } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { LineDeadlineError, LineReader, LineTooLongError } from './line-reader.ts'

function source(...chunks: string[]) {
  const stream = new PassThrough()
  for (const chunk of chunks) stream.write(chunk)
  return stream
}

test('reads CRLF and bare-LF lines split across chunks', async () => {
  const s = source('a1 NOOP\r', '\nb2 CAP', 'ABILITY\nc3')
  s.end()
  const r = new LineReader(s, { maxLine: 100 })
  assert.equal((await r.readLine())?.toString(), 'a1 NOOP')
  assert.equal((await r.readLine())?.toString(), 'b2 CAPABILITY')
  assert.equal((await r.readLine())?.toString(), 'c3')
  assert.equal(await r.readLine(), null)
})

test('an over-long line is skipped with LineTooLongError and the next line is read', async () => {
  const s = source('x'.repeat(50), 'y'.repeat(50), 'z'.repeat(50) + '\r\nok\r\n')
  const r = new LineReader(s, { maxLine: 20 })
  await assert.rejects(r.readLine(), LineTooLongError)
  assert.equal((await r.readLine())?.toString(), 'ok')
})

test('readBytes returns a literal spanning chunks, then lines continue', async () => {
  const s = source('{5}\r\nhe', 'llo tail\r\n')
  const r = new LineReader(s, { maxLine: 100 })
  assert.equal((await r.readLine())?.toString(), '{5}')
  assert.equal((await r.readBytes(5))?.toString(), 'hello')
  assert.equal((await r.readLine())?.toString(), ' tail')
})

test('attach drops bytes pipelined on the old source', async () => {
  const plain = source('a STARTTLS\r\nb INJECTED\r\n')
  const r = new LineReader(plain, { maxLine: 100 })
  assert.equal((await r.readLine())?.toString(), 'a STARTTLS')
  assert.ok(r.buffered > 0)
  const secure = source('c NOOP\r\n')
  r.attach(secure)
  assert.equal((await r.readLine())?.toString(), 'c NOOP')
})

test('skipBytes discards a literal without keeping it', async () => {
  const s = source('abcdef', 'ghij\r\nnext\r\n')
  const r = new LineReader(s, { maxLine: 100 })
  assert.equal(await r.skipBytes(10), true)
  assert.equal((await r.readLine())?.toString(), '')
  assert.equal((await r.readLine())?.toString(), 'next')
})

// ---- lineDeadlineMs (slowloris): the clock is mocked, so these assert order, not speed ----

/** Lets a PassThrough deliver what was written (its 'data' events come on later ticks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Writes `text` one byte at a time, advancing the mocked clock `stepMs` after each byte. */
async function trickle(stream: PassThrough, text: string, stepMs: number): Promise<void> {
  for (const byte of text) {
    stream.write(byte)
    await settle()
    mock.timers.tick(stepMs)
    await settle()
  }
}

test('lineDeadlineMs: a line trickled a byte at a time past the deadline rejects with LineDeadlineError', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  t.after(() => mock.timers.reset())
  const s = new PassThrough()
  const r = new LineReader(s, { maxLine: 100, lineDeadlineMs: 1000 })
  const line = r.readLine()
  let error: unknown = null
  line.catch((e: unknown) => { error = e })
  await trickle(s, 'USER slowloris', 200) // 14 bytes, 2.8 s, never a LF
  assert.ok(error instanceof LineDeadlineError, `readLine settled with ${String(error)}`)
  assert.equal(error.deadlineMs, 1000)
  // The session is expected to hang up; the reader keeps refusing the unfinished line.
  await assert.rejects(r.readLine(), LineDeadlineError)
})

test('lineDeadlineMs: a line completed in parts within the deadline is read, and idle time between lines does not count', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  t.after(() => mock.timers.reset())
  const s = new PassThrough()
  const r = new LineReader(s, { maxLine: 100, lineDeadlineMs: 1000 })
  const first = r.readLine()
  mock.timers.tick(60_000) // a minute with nothing sent: idle, not slow
  await settle()
  await trickle(s, 'USER al', 100)
  s.write('ice\r\nPASS x') // the next line starts in the same chunk
  assert.equal((await first)?.toString(), 'USER alice')
  const second = r.readLine()
  await trickle(s, 'y', 500)
  s.write('\r\n')
  assert.equal((await second)?.toString(), 'PASS xy')
})

test('lineDeadlineMs: time the session spends not reading is not charged to the client', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  t.after(() => mock.timers.reset())
  const s = new PassThrough()
  const r = new LineReader(s, { maxLine: 100, lineDeadlineMs: 1000 })
  s.write('NOOP\r\nST')
  assert.equal((await r.readLine())?.toString(), 'NOOP')
  mock.timers.tick(5000) // a long command runs; "ST" waits in the buffer
  const next = r.readLine()
  await settle()
  mock.timers.tick(900)
  s.write('AT\r\n')
  assert.equal((await next)?.toString(), 'STAT')
})

test('lineDeadlineMs: an over-long line being skipped is still held to the deadline', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  t.after(() => mock.timers.reset())
  const s = new PassThrough()
  const r = new LineReader(s, { maxLine: 4, lineDeadlineMs: 1000 })
  const line = r.readLine()
  let error: unknown = null
  line.catch((e: unknown) => { error = e })
  await trickle(s, 'xxxxxxxxxxxxxxxx', 100)
  assert.ok(error instanceof LineDeadlineError, `readLine settled with ${String(error)}`)
})

test('lineDeadlineMs must be a positive number', () => {
  assert.throws(() => new LineReader(new PassThrough(), { maxLine: 10, lineDeadlineMs: 0 }), RangeError)
  assert.throws(() => new LineReader(new PassThrough(), { maxLine: 10, lineDeadlineMs: Number.NaN }), RangeError)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { LineReader, LineTooLongError } from './line-reader.ts'

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

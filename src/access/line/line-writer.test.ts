import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { LineWriter, WRITE_BATCH_BYTES } from './line-writer.ts'

/** A target that records each call it gets: one entry per write or writev (≈ one syscall on a socket). */
function recorder() {
  const calls: Buffer[][] = []
  const target = new Writable({
    write(chunk: Buffer, _encoding, done) { calls.push([chunk]); done() },
    writev(chunks, done) { calls.push(chunks.map((c) => c.chunk as Buffer)); done() },
  })
  return { target, calls, text: () => Buffer.concat(calls.flat()).toString('latin1') }
}

test('a batch of strings and buffers leaves in one call, in order', async () => {
  const r = recorder()
  const w = new LineWriter(r.target)
  w.write('* 1 FETCH (')
  w.write('UID 7')
  w.write(' BODY[] {3}\r\n')
  w.write(Buffer.from('abc'))
  w.write(')\r\n')
  w.write('a1 OK done\r\n')
  await w.flush()
  assert.equal(r.calls.length, 1)
  assert.equal(r.text(), '* 1 FETCH (UID 7 BODY[] {3}\r\nabc)\r\na1 OK done\r\n')
})

test('consecutive strings are joined into one piece', async () => {
  const r = recorder()
  const w = new LineWriter(r.target)
  for (let i = 0; i < 20; i++) w.write(`* ${i} EXISTS\r\n`)
  await w.flush()
  assert.deepEqual(r.calls.map((c) => c.length), [1])
  assert.match(r.text(), /^\* 0 EXISTS\r\n[\s\S]*\* 19 EXISTS\r\n$/)
})

test('a full batch flushes by itself; an empty flush writes nothing', async () => {
  const r = recorder()
  const w = new LineWriter(r.target)
  await w.flush()
  assert.equal(r.calls.length, 0)
  await w.write('x'.repeat(WRITE_BATCH_BYTES))
  assert.equal(r.calls.length, 1)
})

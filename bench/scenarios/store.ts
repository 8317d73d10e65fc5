/**
 * The Information Store on its own, through its API (no protocol):
 *  (a) deliveries/s: 10,000 distinct 4 KiB messages into one mailbox, durability on (blobs and
 *      the WAL fsynced before each delivery resolves), 50 concurrent callers;
 *  (b) SEARCH BODY latency: a 100,000-message mailbox (built with durability off, which only
 *      changes how fast it is built), then ~20 `{ text: 'body', contains: word }` searches.
 * Runs in a child process so that UV_THREADPOOL_SIZE (fixed at the first use of the libuv pool)
 * is set for it: blob fsyncs run there in parallel.
 * Standalone: `./node_modules/.bin/node bench/scenarios/store.ts [--quick]` prints the table.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const THREADPOOL_SIZE = '16'
const CALLERS = 50

type Row = Record<string, string | number>

export async function run(options: { quick?: boolean } = {}): Promise<{ name: string; rows: Row[] }> {
  const args = [fileURLToPath(import.meta.url), '--child', ...(options.quick ? ['--quick'] : [])]
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, UV_THREADPOOL_SIZE: THREADPOOL_SIZE },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`store bench child exited with ${code}`))))
  })
  const last = output.trim().split('\n').pop() ?? '[]'
  return { name: 'store', rows: JSON.parse(last) as Row[] }
}

/** A deterministic vocabulary with a Zipf-like spread, so some words are rare and some everywhere. */
export function vocabulary(size: number): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qui', 'dro', 'fen', 'gal', 'hob', 'jin']
  const words: string[] = []
  for (let i = 0; words.length < size; i++) {
    let n = i + 1
    let word = ''
    while (n > 0) {
      word += syllables[n % syllables.length]
      n = Math.floor(n / syllables.length)
    }
    words.push(word)
  }
  return words
}

function makeRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 0x100000000
  }
}

export function messageFactory(words: string[], seed: number): (n: number) => Uint8Array {
  const random = makeRandom(seed)
  const pick = () => words[Math.floor(words.length * Math.pow(random(), 3))]
  return (n) => {
    const head = [
      'From: Sender <sender@example.test>', 'To: Owner <owner@example.test>', `Subject: Message ${n} ${pick()} ${pick()}`,
      'Date: Mon, 02 Mar 2026 10:00:00 +0000', `Message-ID: <bench.${seed}.${n}@example.test>`, 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8', '', '',
    ].join('\r\n')
    let body = ''
    // 4 KiB in all.
    while (head.length + body.length < 4096 - 80) {
      let line = ''
      while (line.length < 70) line += pick() + ' '
      body += line.trimEnd() + '\r\n'
    }
    return new TextEncoder().encode(head + body)
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

async function child(quick: boolean): Promise<Row[]> {
  const { SqliteEngine } = await import('../../src/db/sqlite.ts')
  const { FsBlobStore } = await import('../../src/store/blobs/fs.ts')
  const { createStore } = await import('../../src/store/open.ts')
  const rows: Row[] = []
  const words = vocabulary(20_000)

  async function open(dir: string, durable: boolean) {
    const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable })
    await engine.migrate()
    const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable }) })
    await store.accounts.provision(1)
    return { engine, store }
  }

  async function deliverMany(store: Awaited<ReturnType<typeof open>>['store'], count: number, seed: number): Promise<number> {
    const make = messageFactory(words, seed)
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: CALLERS }, async () => {
      while (next < count) {
        const n = next++
        const result = (await store.emails.deliver([1], { raw: make(n) })).get(1)
        if (result instanceof Error) throw result
      }
    }))
    return count / ((performance.now() - started) / 1000)
  }

  // (a) durable deliveries
  {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-store-'))
    try {
      const { engine, store } = await open(dir, true)
      const count = quick ? 2_000 : 10_000
      const rate = await deliverMany(store, count, 1)
      rows.push({ measure: `deliver ${count} × 4 KiB, ${CALLERS} callers, durable`, value: Math.round(rate), unit: 'deliveries/s', target: '≥ 5000' })
      await engine.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  // (b) search in a big mailbox
  {
    const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-store-'))
    try {
      const { engine, store } = await open(dir, false)
      const count = quick ? 10_000 : 100_000
      const buildRate = await deliverMany(store, count, 2)
      rows.push({ measure: `build ${count}-message mailbox (durable off)`, value: Math.round(buildRate), unit: 'deliveries/s', target: '' })
      const inbox = (await store.folders.byRole(1, 'inbox'))!
      const random = makeRandom(7)
      const times: number[] = []
      let hits = 0
      for (let i = 0; i < 20; i++) {
        // Words across the spread: common ones (thousands of hits) and rare ones.
        const word = words[Math.floor(words.length * Math.pow(random(), 2))]
        const started = performance.now()
        hits += (await store.emails.search(1, inbox.id, { text: 'body', contains: word })).length
        times.push(performance.now() - started)
      }
      times.sort((a, b) => a - b)
      rows.push({ measure: `search body word in ${count} messages (median of 20)`, value: Number(percentile(times, 0.5).toFixed(1)), unit: 'ms', target: '≤ 50' })
      rows.push({ measure: `search body word in ${count} messages (p95)`, value: Number(percentile(times, 0.95).toFixed(1)), unit: 'ms', target: '' })
      rows.push({ measure: 'search hits (mean per query)', value: Math.round(hits / 20), unit: 'uids', target: '' })
      await engine.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

const invokedDirectly = process.argv[1] === fileURLToPath(import.meta.url)
if (invokedDirectly && process.argv.includes('--child')) {
  const rows = await child(process.argv.includes('--quick'))
  process.stdout.write(JSON.stringify(rows) + '\n')
} else if (invokedDirectly) {
  const result = await run({ quick: process.argv.includes('--quick') })
  console.table(result.rows)
}

/**
 * The Information Store on its own, through its API (no protocol):
 *  (a) deliveries/s: 10,000 distinct 4 KiB messages into one mailbox, durability on (blobs and
 *      the WAL fsynced before each delivery resolves), 50 concurrent callers; three runs, each in
 *      a fresh store, reported as median (min–max). Full-text indexing is queued (migration 4)
 *      and done by the background indexer; "index catch-up" is how long the first search after
 *      the burst waited for what was still queued, so the two together are the whole cost.
 *  (b) SEARCH BODY latency: a 100,000-message mailbox (built once with durability off, which only
 *      changes how fast it is built, and kept in bench/.cache/ like the IMAP scenarios' big
 *      mailboxes), then ~20 `{ text: 'body', contains: word }` searches.
 * Runs in a child process so that UV_THREADPOOL_SIZE (fixed at the first use of the libuv pool)
 * is set for it: WAL and blob fsyncs run there.
 * Standalone: `./node_modules/.bin/node bench/scenarios/store.ts [--quick]` prints the table.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const THREADPOOL_SIZE = '16'
const CALLERS = 50
/** Callers while building the search corpus: bigger batches, a faster build. */
const BUILD_CALLERS = 500
const DELIVERY_RUNS = 3

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
  const { cached, cacheEntry, pruneEntries, saveEntry } = await import('../lib/data-cache.ts')
  const { cell } = await import('../lib/stats.ts')
  const rows: Row[] = []
  const words = vocabulary(20_000)

  async function open(dir: string, durable: boolean, provision = true) {
    const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable })
    await engine.migrate()
    const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable }), sweepOnOpen: false })
    if (provision) await store.accounts.provision(1)
    return { engine, store }
  }

  async function deliverMany(store: Awaited<ReturnType<typeof open>>['store'], count: number, seed: number, callers: number) {
    const make = messageFactory(words, seed)
    let next = 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    await Promise.all(Array.from({ length: callers }, async () => {
      while (next < count) {
        const n = next++
        const result = (await store.emails.deliver([1], { raw: make(n) })).get(1)
        if (result instanceof Error) throw result
      }
    }))
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    return { rate: count / seconds, cpuMs: (used.user + used.system) / 1000 / count }
  }

  // (a) durable deliveries, three fresh stores
  {
    const count = quick ? 2_000 : 10_000
    const rates: number[] = []
    const cpus: number[] = []
    const catchUps: number[] = []
    for (let run = 0; run < DELIVERY_RUNS; run++) {
      const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-store-'))
      try {
        const { engine, store } = await open(dir, true)
        const { rate, cpuMs } = await deliverMany(store, count, 1 + run, CALLERS)
        rates.push(rate)
        cpus.push(cpuMs)
        const inbox = (await store.folders.byRole(1, 'inbox'))!
        const started = performance.now()
        const hits = await store.emails.search(1, inbox.id, { text: 'body', contains: words[0] })
        catchUps.push(performance.now() - started)
        if (hits.length === 0) throw new Error('store bench: the first search found nothing')
        await store.close()
        await engine.close()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
    rows.push({ measure: `deliver ${count} × 4 KiB, ${CALLERS} callers, durable (${DELIVERY_RUNS} runs)`, value: cell(rates), unit: 'deliveries/s', target: '≥ 5000' })
    rows.push({ measure: 'CPU per delivery (all threads)', value: cell(cpus), unit: 'ms', target: '' })
    rows.push({ measure: 'index catch-up: first search after the burst', value: cell(catchUps), unit: 'ms', target: '' })
  }

  // (b) search in a big mailbox, built once and kept in bench/.cache/
  {
    const count = quick ? 10_000 : 100_000
    const entry = cacheEntry('tidings', `store search ${count}`, vocabulary.toString() + messageFactory.toString())
    if (!cached(entry)) {
      const build = mkdtempSync(join(tmpdir(), 'tidings-bench-store-'))
      try {
        const { engine, store } = await open(build, false)
        const { rate } = await deliverMany(store, count, 2, BUILD_CALLERS)
        rows.push({ measure: `build ${count}-message mailbox (durable off, once; then cached)`, value: Math.round(rate), unit: 'deliveries/s', target: '' })
        const inbox = (await store.folders.byRole(1, 'inbox'))!
        // Indexes the whole queue before the copy is kept.
        await store.emails.search(1, inbox.id, { text: 'body', contains: words[0] })
        await store.close()
        await engine.close()
        saveEntry(build, entry)
        pruneEntries(entry)
      } finally {
        rmSync(build, { recursive: true, force: true })
      }
    }
    // Searches only read: the kept copy is opened where it lies.
    const { engine, store } = await open(entry, false, false)
    try {
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
    } finally {
      await store.close()
      await engine.close()
    }
  }
  rows.push({ measure: 'load average (1 min) at the end', value: Number(loadavg()[0].toFixed(2)), unit: '', target: '' })
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

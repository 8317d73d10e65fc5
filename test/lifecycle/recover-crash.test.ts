/**
 * Crash safety of deleted-item recovery: a process appending, expunging and restoring is killed
 * (-9) at random points; after recovery every acknowledged message is exactly once either in a
 * folder or in Recoverable Items (an expunge or restore is all or nothing), the last acknowledged
 * step of each decides which, and the blob and quota books are exact.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEngine } from '../../src/db/sqlite.ts'
import { sql } from '../../src/db/engine.ts'
import { FsBlobStore } from '../../src/store/blobs/fs.ts'
import { createStore } from '../../src/store/open.ts'
import { NODE, ROOT } from '../support/cli.ts'
import { seededRandom } from '../support/seeded-random.ts'

const ROUNDS = 3
const WORKER = join(ROOT, 'test', 'lifecycle', 'recover-crash-worker.ts')
const dir = mkdtempSync(join(tmpdir(), 'tidings-recover-crash-'))
after(() => rmSync(dir, { recursive: true, force: true }))

async function openStore() {
  const engine = new SqliteEngine(join(dir, 'tidings.db'), { durable: false })
  await engine.migrate()
  const store = createStore({ engine, blobs: new FsBlobStore(join(dir, 'blobs'), { durable: false }), retention: { retentionMs: 86_400_000, quotaBytes: 0 } })
  return { engine, store, close: async () => { await store.close(); await engine.close() } }
}

/** Runs the worker until it has acknowledged `steps` steps, then kill -9; returns the acknowledged lines. */
function runAndKill(start: number, steps: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [WORKER, dir, String(start)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stderr!.on('data', (c: Buffer) => (err += c))
    child.stdout!.on('data', (c: Buffer) => {
      out += c
      if (out.split('\n').length > steps) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`worker exited ${code}: ${err}`))
      // A line cut in half by the kill was not acknowledged.
      else resolve(out.split('\n').filter((l) => /^[AER] m\d+$/.test(l)))
    })
  })
}

test(`kill -9 during expunge/restore (${ROUNDS} rounds, seeded): each message exactly once, in the state last acknowledged; books exact`, async () => {
  const seed = 20261123
  const random = seededRandom(seed)
  {
    const { store, close } = await openStore()
    await store.accounts.provision(1)
    await close()
  }
  const last = new Map<string, string>()
  let start = 0
  for (let round = 1; round <= ROUNDS; round++) {
    const lines = await runAndKill(start, 20 + Math.floor(random() * 60))
    for (const line of lines) last.set(line.slice(2), line[0])
    start += 1000
    const { engine, store, close } = await openStore()
    try {
      const report = await store.verify() // waits for the recovery sweep
      assert.deepEqual({ ...report, checked: 0 }, { checked: 0, mismatched: [], missing: [], orphaned: [], badRefs: [] }, `seed ${seed} round ${round}`)
      const live = new Map((await engine.all<{ subject: string; n: number }>(sql`SELECT subject, count(*) AS n FROM emails GROUP BY subject`)).map((r) => [r.subject, r.n]))
      const kept = new Map((await engine.all<{ subject: string; n: number }>(sql`SELECT subject, count(*) AS n FROM recoverable_items GROUP BY subject`)).map((r) => [r.subject, r.n]))
      for (const [subject, step] of last) {
        const where = `seed ${seed} round ${round}: ${subject} (last acknowledged ${step})`
        assert.equal((live.get(subject) ?? 0) + (kept.get(subject) ?? 0), 1, `${where}: exactly once`)
        // Only the next step of the same message can have been cut off; restores come in batches.
        if (step === 'A') continue
        if (step === 'R') assert.equal(live.get(subject), 1, `${where}: restored`)
      }
      const used = (await engine.one<{ bytes: number | null; n: number }>(sql`SELECT sum(size) AS bytes, count(*) AS n FROM emails WHERE account_id = 1`))!
      const account = (await store.accounts.get(1))!
      assert.deepEqual([account.usedBytes, account.usedMessages], [used.bytes ?? 0, used.n], `seed ${seed} round ${round}: quota exact`)
    } finally {
      await close()
    }
  }
  assert.ok([...last.values()].includes('R'), 'some restores were acknowledged')
})

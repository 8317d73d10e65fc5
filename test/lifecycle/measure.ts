/**
 * Lifecycle measurements (not a test; numbers vary by machine):
 *   ./node_modules/.bin/node test/lifecycle/measure.ts [messages=10000] [imapMessages=2000]
 * Backup time and size of a store of N messages (first and incremental), mbox import msgs/s
 * into a durable store (what `tidings import` does), IMAP migration msgs/s from a Tidings on loopback.
 */
import { rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { openFixture, tempDir } from './fixture.ts'
import { startTestServer } from '../support/start-server.ts'
import { backup } from '../../src/admin/lifecycle/backup.ts'
import { restore } from '../../src/admin/lifecycle/restore.ts'
import { importMessages } from '../../src/admin/lifecycle/import.ts'
import { openSource } from '../../src/admin/lifecycle/open-source.ts'
import { mboxRecord } from '../../src/admin/lifecycle/mbox.ts'
import { migrateImap } from '../../src/admin/lifecycle/migrate-imap.ts'
import { stateFile } from '../../src/admin/lifecycle/migrate-state.ts'
import { formatBytes } from '../../src/admin/lifecycle/progress.ts'

const N = Number(process.argv[2] ?? 10_000)
const IMAP_N = Number(process.argv[3] ?? 2_000)
const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.\r\n'.repeat(30)

function message(n: number): Uint8Array {
  return Buffer.from(`From: Sender ${n % 97} <s${n % 97}@example.org>\r\nTo: alice@example.test\r\nSubject: Report ${n}\r\n` +
    `Message-ID: <m${n}.${process.pid}@example.org>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\n\r\nMessage ${n}\r\n${filler}`)
}

const seconds = (t: number) => (performance.now() - t) / 1000
const work = tempDir('measure')
try {
  // 1. Backup of an N-message store.
  const fx = await openFixture({ dataDir: join(work, 'data'), durable: false })
  const alice = await fx.addUser('alice@example.test')
  const inbox = (await fx.store.folders.byRole(alice, 'inbox'))!
  let t = performance.now()
  for (let i = 0; i < N; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, j) => fx.store.emails.append(alice, inbox.id, { raw: message(i + j) })))
  }
  console.log(`filled ${N} messages in ${seconds(t).toFixed(1)} s (not durable)`)
  t = performance.now()
  const first = await backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'b1') })
  console.log(`backup (first): ${seconds(t).toFixed(2)} s, ${first.counts.emails} emails, blobs ${formatBytes(first.blobs.bytes)} uncompressed, db ${formatBytes(first.db.size)}, ${first.blobs.linked} hard-linked`)
  for (let i = 0; i < 100; i++) await fx.store.emails.append(alice, inbox.id, { raw: message(N + i) })
  t = performance.now()
  const second = await backup({ engine: fx.engine, blobDir: fx.blobs.dir, dir: join(work, 'b2'), incrementalFrom: join(work, 'b1') })
  console.log(`backup (incremental, +100 messages): ${seconds(t).toFixed(2)} s, ${second.blobs.reused} blobs reused, ${second.blobs.linked - second.blobs.reused} new`)
  t = performance.now()
  const restored = await restore({ from: join(work, 'b2'), dataDir: join(work, 'restored') })
  console.log(`restore (every blob re-hashed): ${seconds(t).toFixed(2)} s, ${restored.blobs} blobs, ${restored.damaged.length} damaged`)
  const blobFilesBytes = Number((await import('node:child_process')).execSync(`du -sb ${join(work, 'b1', 'blobs')} | cut -f1`).toString())
  console.log(`backup size on disk: db ${formatBytes(statSync(join(work, 'b1', 'tidings.db')).size)} + blob files ${formatBytes(blobFilesBytes)} (hard links: no new space on the same filesystem)`)
  await fx.close()

  // 2. mbox import into a durable store.
  const mbox = join(work, 'in.mbox')
  const out = createWriteStream(mbox)
  for (let i = 0; i < N; i++) if (!out.write(mboxRecord(message(10 * N + i), { date: Date.UTC(2025, 0, 1) + i * 1000 }))) await once(out, 'drain')
  out.end()
  await once(out, 'finish')
  const durable = await openFixture({ dataDir: join(work, 'import'), durable: true })
  const bob = await durable.addUser('bob@example.test')
  t = performance.now()
  const summary = await importMessages(durable.store, bob, (await openSource(mbox)).items, { blobs: durable.blobs })
  const s = seconds(t)
  console.log(`import (mbox, durable): ${summary.imported} messages in ${s.toFixed(1)} s = ${(summary.imported / s).toFixed(0)} msgs/s (${formatBytes(statSync(mbox).size)})`)
  t = performance.now()
  const again = await importMessages(durable.store, bob, (await openSource(mbox)).items)
  console.log(`import again (all duplicates): ${again.duplicates} in ${seconds(t).toFixed(1)} s`)
  await durable.close()

  // 3. IMAP migration from a Tidings on loopback (STARTTLS).
  const source = await startTestServer({ config: { durable: false } })
  try {
    const old = await source.addUser('old@example.test', 'old-password-123')
    const srcInbox = (await source.ctx.store.folders.byRole(old.id, 'inbox'))!
    for (let i = 0; i < IMAP_N; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, IMAP_N - i) }, (_, j) => source.ctx.store.emails.append(old.id, srcInbox.id, { raw: message(20 * N + i + j), keywords: ['$seen'] })))
    }
    const target = await openFixture({ dataDir: join(work, 'migrate'), durable: true })
    const carol = await target.addUser('carol@example.test')
    const imap = { host: '127.0.0.1', port: source.ports['listen.imap'], user: 'old@example.test', password: 'old-password-123', tls: 'starttls' as const, insecure: true }
    t = performance.now()
    const report = await migrateImap({ store: target.store, blobs: target.blobs, account: carol, source: imap, stateFile: stateFile(target.root, 'carol', imap) })
    const m = seconds(t)
    console.log(`IMAP migration (STARTTLS, loopback, durable target): ${report.copied} messages in ${m.toFixed(1)} s = ${(report.copied / m).toFixed(0)} msgs/s`)
    await target.close()
  } finally {
    await source.stop()
  }
  writeFileSync(join(work, 'done'), '')
} finally {
  rmSync(work, { recursive: true, force: true })
}

/**
 * The durability promise over IMAP's write paths (DESIGN.md "Durability"): `tidings serve` runs as
 * a child; appenders APPEND while a mutator flags (UID STORE), moves (UID MOVE) and expunges
 * (UID EXPUNGE) messages already acknowledged; the child gets kill -9 at a seeded random moment,
 * restarts, and the mailbox must be one the client could have seen:
 *   - every APPEND that got OK [APPENDUID] is there (unless an acknowledged MOVE/EXPUNGE took it);
 *   - no message is in two folders or twice in one (MOVE is atomic), no expunged one comes back;
 *   - an acknowledged \Flagged is kept; an operation cut off by the kill happened wholly or not at all;
 *   - UIDVALIDITY is unchanged, UIDNEXT above every acknowledged UID, HIGHESTMODSEQ not below any
 *     MODSEQ seen; a new APPEND gets a larger UID (UIDs never go backwards);
 *   - `tidings verify` is clean.
 * Rounds run on the same data dir, each one's survivors checked by the next.
 * TIDINGS_TEST_CRASH_ROUNDS / TIDINGS_TEST_CRASH_SEED for longer runs or replay.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LineClient } from '../support/line-client.ts'
import { startChild, cli, random, verifyStore, type ChildServer } from './child-server.ts'

const ROUNDS = Number(process.env.TIDINGS_TEST_CRASH_ROUNDS ?? 2)
const SEED = Number(process.env.TIDINGS_TEST_CRASH_SEED ?? 20261123)
const APPENDERS = 3
const USER = 'alice@example.test'
const PASSWORD = 'alice-crash-pass-1'
const FOLDERS = ['INBOX', 'Archive'] as const
type Where = 'INBOX' | 'Archive' | 'gone'

interface Known {
  /** Where the message certainly is (last acknowledged state). */
  where: Where
  uid: number
  flagged: boolean
  /** An operation in flight when the server died: it may or may not have happened. */
  maybe?: { where: Where; flagged: boolean }
}

const known = new Map<string, Known>()
/** APPENDs sent but not acknowledged when the server died: may exist (at most once) or not. */
const maybeAppended = new Set<string>()
const maxUid: Record<string, number> = { INBOX: 0, Archive: 0 }
let uidValidity: Record<string, string> = {}
let maxModseq = 0
const tally = { appended: 0, flagged: 0, moved: 0, expunged: 0, lost: 0, kills: 0 }

let dataDir: string
/** Errors from the load before the kill was ordered: server bugs, not crash effects. */
const unexpected: string[] = []

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tidings-imap-crash-'))
  await cli(dataDir, ['domain', 'add', 'example.test'])
  // The user gets the default folders, Archive (the MOVE target) among them.
  await cli(dataDir, ['user', 'add', USER, '--password', PASSWORD, '--name', 'Alice'])
})

after(() => {
  console.log(`# imap crash tally: ${JSON.stringify({ ...tally, orphanedBlobs: orphans.length })}`)
  rmSync(dataDir, { recursive: true, force: true })
})

async function login(port: number): Promise<LineClient> {
  const client = await LineClient.connect(port)
  await client.readLine()
  await client.expectTagged('L', `LOGIN "${USER}" "${PASSWORD}"`)
  return client
}

function messageFor(id: string): string {
  return `Message-ID: <${id}>\r\nFrom: <load@example.test>\r\nSubject: crash ${id}\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nbody of ${id}\r\n`
}

/** Appends until told to stop, recording each acknowledged APPENDUID. */
async function appender(port: number, prefix: string, stop: { killed: boolean }, count: { n: number }): Promise<void> {
  let client: LineClient
  try {
    client = await login(port)
  } catch (error) {
    if (!stop.killed) unexpected.push(`appender login: ${(error as Error).message}`)
    return
  }
  try {
    for (let i = 0; !stop.killed; i++) {
      const id = `${prefix}-${i}@crash.test`
      const raw = messageFor(id)
      maybeAppended.add(id)
      const tagged = (await client.command('A', Buffer.from(`APPEND INBOX {${raw.length}+}\r\n${raw}`))).tagged
      const m = /^A OK \[APPENDUID (\d+) (\d+)\]/.exec(tagged)
      if (!m) throw new Error(`APPEND: ${tagged}`)
      maybeAppended.delete(id)
      known.set(id, { where: 'INBOX', uid: Number(m[2]), flagged: false })
      maxUid.INBOX = Math.max(maxUid.INBOX, Number(m[2]))
      tally.appended++
      count.n++
    }
  } catch (error) {
    if (!stop.killed) unexpected.push(`appender: ${(error as Error).message}`)
  } finally {
    client.close()
  }
}

/** Flags, moves and expunges acknowledged messages; each op's outcome recorded only on OK. */
async function mutator(port: number, rand: () => number, stop: { killed: boolean }): Promise<void> {
  let client: LineClient
  try {
    client = await login(port)
    await client.expectTagged('E', 'ENABLE CONDSTORE')
    await client.expectTagged('S', 'SELECT INBOX')
  } catch (error) {
    if (!stop.killed) unexpected.push(`mutator login: ${(error as Error).message}`)
    return
  }
  const seen = (lines: string[]) => {
    for (const line of lines) for (const m of line.matchAll(/MODSEQ \((\d+)\)/g)) maxModseq = Math.max(maxModseq, Number(m[1]))
  }
  try {
    while (!stop.killed) {
      const candidates = [...known].filter(([, k]) => k.where === 'INBOX' && !k.maybe)
      if (candidates.length === 0) {
        await client.expectTagged('N', 'NOOP')
        await new Promise((r) => setTimeout(r, 5))
        continue
      }
      const [id, k] = candidates[Math.floor(rand() * candidates.length)]
      // Bring the session's view up to date first: a UID appended by another session after our
      // last sync is not in our view yet, and UID commands silently skip such UIDs (RFC 9051 §6.4.9).
      await client.expectTagged('N', 'NOOP')
      const roll = rand()
      if (roll < 0.4) {
        k.maybe = { where: 'INBOX', flagged: true }
        const result = await client.command('F', `UID STORE ${k.uid} +FLAGS (\\Flagged)`)
        assert.match(result.tagged, /^F OK/)
        // An already-flagged message may get no FETCH back (nothing changed); a new flag must.
        if (!k.flagged) assert.ok(result.lines.some((l) => /FETCH .*\\Flagged/.test(l)), `STORE on UID ${k.uid} changed nothing: ${result.lines}`)
        seen(result.lines)
        k.flagged = true
        tally.flagged++
      } else if (roll < 0.75) {
        k.maybe = { where: 'Archive', flagged: k.flagged }
        const result = await client.command('M', `UID MOVE ${k.uid} Archive`)
        assert.match(result.tagged, /^M OK/)
        const copy = /COPYUID \d+ \d+ (\d+)/.exec([...result.lines, result.tagged].join('\n'))
        assert.ok(copy, `MOVE of UID ${k.uid} moved nothing: ${result.tagged}`)
        k.where = 'Archive'
        k.uid = copy ? Number(copy[1]) : 0
        if (copy) maxUid.Archive = Math.max(maxUid.Archive, Number(copy[1]))
        tally.moved++
      } else {
        k.maybe = { where: 'gone', flagged: k.flagged }
        await client.expectTagged('D', `UID STORE ${k.uid} +FLAGS.SILENT (\\Deleted)`)
        const result = await client.command('X', `UID EXPUNGE ${k.uid}`)
        assert.match(result.tagged, /^X OK/)
        assert.ok(result.lines.some((l) => /EXPUNGE|VANISHED/.test(l)), `UID EXPUNGE ${k.uid} removed nothing`)
        k.where = 'gone'
        tally.expunged++
      }
      delete k.maybe
      void id
    }
  } catch (error) {
    if (!stop.killed) unexpected.push(`mutator: ${(error as Error).message}`)
  } finally {
    client.close()
  }
}

interface Found {
  folder: string
  uid: number
  flags: string
}

/** Every message in INBOX and Archive by Message-ID, plus each folder's status. */
async function scan(port: number): Promise<{ found: Map<string, Found[]>; status: Record<string, { uidnext: number; uidvalidity: string; modseq: number }> }> {
  const client = await login(port)
  const found = new Map<string, Found[]>()
  const status: Record<string, { uidnext: number; uidvalidity: string; modseq: number }> = {}
  try {
    for (const folder of FOLDERS) {
      const st = (await client.expectTagged('T', `STATUS ${folder} (UIDNEXT UIDVALIDITY HIGHESTMODSEQ)`)).join(' ')
      status[folder] = {
        uidnext: Number(/UIDNEXT (\d+)/.exec(st)?.[1]),
        uidvalidity: /UIDVALIDITY (\d+)/.exec(st)?.[1] ?? '',
        modseq: Number(/HIGHESTMODSEQ (\d+)/.exec(st)?.[1] ?? 0),
      }
      await client.expectTagged('S', `EXAMINE ${folder}`)
      const lines = await client.expectTagged('F', 'UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
      for (const line of lines) {
        const id = /Message-ID: <([^>]+)>/i.exec(line)?.[1]
        if (!id) continue
        const uid = Number(/UID (\d+)/.exec(line)?.[1])
        const flags = /FLAGS \(([^)]*)\)/.exec(line)?.[1] ?? ''
        found.set(id, [...(found.get(id) ?? []), { folder, uid, flags }])
      }
    }
  } finally {
    client.close()
  }
  return { found, status }
}

/** Checks the restarted server's mailbox against everything acknowledged so far; settles the maybes. */
async function check(port: number, round: number): Promise<void> {
  const { found, status } = await scan(port)
  for (const [id, places] of found) {
    assert.ok(places.length <= 1, `round ${round}: ${id} is in ${places.map((p) => p.folder).join(' and ')}`)
  }
  for (const [id, k] of known) {
    const place = found.get(id)?.[0]
    const where: Where = place ? (place.folder as Where) : 'gone'
    const allowed = new Set<Where>([k.where, ...(k.maybe ? [k.maybe.where] : [])])
    if (!allowed.has(where)) {
      if (where === 'gone') tally.lost++
      assert.fail(`round ${round}: ${id} is ${where === 'gone' ? 'missing' : 'in ' + where}, acknowledged state ${k.where}${k.maybe ? ` (or ${k.maybe.where})` : ''}`)
    }
    if (place && k.flagged && !k.maybe) assert.match(place.flags, /\\Flagged/, `round ${round}: acknowledged \\Flagged on ${id} was lost`)
    if (place && k.where === place.folder && !k.maybe && k.uid) assert.equal(place.uid, k.uid, `round ${round}: ${id} changed UID`)
    known.set(id, { where, uid: place?.uid ?? 0, flagged: place ? /\\Flagged/.test(place.flags) : false })
  }
  for (const id of maybeAppended) {
    const place = found.get(id)?.[0]
    if (place) known.set(id, { where: place.folder as Where, uid: place.uid, flagged: false })
  }
  maybeAppended.clear()
  for (const folder of FOLDERS) {
    if (uidValidity[folder]) assert.equal(status[folder].uidvalidity, uidValidity[folder], `round ${round}: ${folder} UIDVALIDITY changed`)
    assert.ok(status[folder].uidnext > maxUid[folder], `round ${round}: ${folder} UIDNEXT ${status[folder].uidnext} not above acknowledged UID ${maxUid[folder]}`)
  }
  assert.ok(status.INBOX.modseq >= maxModseq, `round ${round}: HIGHESTMODSEQ ${status.INBOX.modseq} below the seen ${maxModseq}`)
  uidValidity = { INBOX: status.INBOX.uidvalidity, Archive: status.Archive.uidvalidity }
  // A new APPEND gets a UID above everything acknowledged before the crash.
  const client = await login(port)
  try {
    const raw = messageFor(`after-${round}@crash.test`)
    const tagged = (await client.command('A', Buffer.from(`APPEND INBOX {${raw.length}+}\r\n${raw}`))).tagged
    const uid = Number(/APPENDUID \d+ (\d+)/.exec(tagged)?.[1])
    assert.ok(uid > maxUid.INBOX, `round ${round}: new APPEND got UID ${uid}, not above ${maxUid.INBOX}`)
    known.set(`after-${round}@crash.test`, { where: 'INBOX', uid, flagged: false })
    maxUid.INBOX = uid
  } finally {
    client.close()
  }
}

/** Orphaned blobs seen by `tidings verify` after each round (files of APPENDs cut off by the kill). */
const orphans: string[] = []

async function verifyClean(): Promise<void> {
  const report = await verifyStore(dataDir)
  orphans.push(...report.orphaned)
}

for (let round = 1; round <= ROUNDS; round++) {
  test(`IMAP kill -9 round ${round} (seed ${SEED + round}): APPEND/STORE/MOVE/EXPUNGE survive as acknowledged`, async () => {
    const rand = random(SEED + round)
    let server: ChildServer = await startChild(dataDir, ['imap'])
    try {
      const stop = { killed: false }
      const count = { n: 0 }
      const killAfter = 20 + Math.floor(rand() * 80)
      const work = [
        ...Array.from({ length: APPENDERS }, (_, i) => appender(server.ports.imap, `r${round}-c${i}`, stop, count)),
        mutator(server.ports.imap, rand, stop),
      ]
      const deadline = Date.now() + 20_000
      while (count.n < killAfter && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
      stop.killed = true
      await server.kill()
      tally.kills++
      await Promise.all(work)
      assert.deepEqual(unexpected.splice(0), [], 'a command failed before the kill')
      assert.ok(count.n >= killAfter, `only ${count.n} APPENDs acknowledged in 20 s`)
      server = await startChild(dataDir, ['imap'])
      await check(server.ports.imap, round)
    } finally {
      await server.stop()
    }
    await verifyClean()
  })
}

test('after the rounds, tidings verify reports no orphaned blobs (recovery swept them)', () => {
  console.log(`# orphaned blobs after ${ROUNDS} kills: ${orphans.length}`)
  assert.deepEqual(orphans, [])
})

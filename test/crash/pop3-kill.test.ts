/**
 * POP3's one write path, the UPDATE state (RFC 1939 §6), under kill -9: deletions acknowledged by
 * QUIT's +OK are gone after a restart; DELEs of a session that never reached QUIT are not applied
 * (RFC 1939 §6: only QUIT from TRANSACTION removes messages); a QUIT cut off by the kill applied all
 * of its deletions or none of them. Messages are put in with IMAP APPEND. `tidings verify` stays clean.
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
const USER = 'alice@example.test'
const PASSWORD = 'alice-pop-crash-1'
const PER_ROUND = 20

let dataDir: string
const tally = { appended: 0, deletedAcked: 0, deletedUnacked: 0, quitRaced: 0, lost: 0, resurrected: 0, orphanedBlobs: 0 }

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tidings-pop3-crash-'))
  await cli(dataDir, ['domain', 'add', 'example.test'])
  await cli(dataDir, ['user', 'add', USER, '--password', PASSWORD])
})

after(() => {
  console.log(`# pop3 crash tally: ${JSON.stringify(tally)}`)
  rmSync(dataDir, { recursive: true, force: true })
})

async function pop3(port: number): Promise<LineClient> {
  const client = await LineClient.connect(port)
  assert.match(await client.readLine(), /^\+OK/)
  for (const line of [`USER ${USER}`, `PASS ${PASSWORD}`]) {
    client.send(line + '\r\n')
    const reply = await client.readLine()
    assert.match(reply, /^\+OK/, `${line.split(' ')[0]}: ${reply}`)
  }
  return client
}

async function command(client: LineClient, line: string): Promise<string> {
  client.send(line + '\r\n')
  return client.readLine()
}

/** Message number → Message-ID, from TOP n 0 of each message. */
async function listing(client: LineClient): Promise<Map<number, string>> {
  const stat = await command(client, 'STAT')
  const count = Number(/^\+OK (\d+)/.exec(stat)?.[1])
  const out = new Map<number, string>()
  for (let n = 1; n <= count; n++) {
    assert.match(await command(client, `TOP ${n} 0`), /^\+OK/)
    for (;;) {
      const line = await client.readLine()
      if (line === '.') break
      const id = /^Message-ID: <([^>]+)>/i.exec(line)?.[1]
      if (id) out.set(n, id)
    }
  }
  return out
}

async function ids(port: number): Promise<Set<string>> {
  const client = await pop3(port)
  try {
    return new Set((await listing(client)).values())
  } finally {
    await command(client, 'RSET')
    client.close() // no QUIT: nothing is deleted
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  test(`POP3 kill -9 round ${round} (seed ${SEED + round}): QUIT-acknowledged deletions stick, others do not, a cut-off QUIT is all or nothing`, async () => {
    const rand = random(SEED + round)
    let server: ChildServer = await startChild(dataDir, ['imap', 'pop3'])
    try {
      const imap = await LineClient.connect(server.ports.imap)
      await imap.readLine()
      await imap.expectTagged('L', `LOGIN "${USER}" "${PASSWORD}"`)
      for (let i = 0; i < PER_ROUND; i++) {
        const raw = `Message-ID: <p${round}-${i}@crash.test>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`
        assert.match((await imap.command('A', Buffer.from(`APPEND INBOX {${raw.length}+}\r\n${raw}`))).tagged, /^A OK/)
        tally.appended++
      }
      imap.close()
      const all = await ids(server.ports.pop3)

      // 1. DELE + QUIT acknowledged.
      const first = await pop3(server.ports.pop3)
      const numbered = [...(await listing(first))]
      const acked = numbered.filter(() => rand() < 0.3)
      for (const [n] of acked) assert.match(await command(first, `DELE ${n}`), /^\+OK/)
      assert.match(await command(first, 'QUIT'), /^\+OK/)
      first.close()
      tally.deletedAcked += acked.length

      // 2. DELE without QUIT, still open at the kill. 3. DELE + QUIT racing the kill (another user session? the
      //    maildrop lock allows one POP3 session: so the racing QUIT comes after session 2 is dropped).
      const second = await pop3(server.ports.pop3)
      const remaining = [...(await listing(second))]
      const unacked = remaining.filter(() => rand() < 0.3)
      for (const [n] of unacked) assert.match(await command(second, `DELE ${n}`), /^\+OK/)
      tally.deletedUnacked += unacked.length
      second.close() // connection lost in TRANSACTION: RFC 1939 §6, nothing deleted
      await new Promise((r) => setTimeout(r, 100))
      const third = await pop3(server.ports.pop3)
      const again = [...(await listing(third))]
      const raced = again.filter(() => rand() < 0.5)
      for (const [n] of raced) assert.match(await command(third, `DELE ${n}`), /^\+OK/)
      third.send('QUIT\r\n')
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 5)))
      await server.kill()
      third.close()
      tally.quitRaced += raced.length

      server = await startChild(dataDir, ['imap', 'pop3'])
      const now = await ids(server.ports.pop3)
      for (const [, id] of acked) {
        if (now.has(id)) tally.resurrected++
        assert.ok(!now.has(id), `round ${round}: ${id} deleted by an acknowledged QUIT came back`)
      }
      for (const [, id] of unacked) {
        if (!raced.some(([, r]) => r === id)) assert.ok(now.has(id), `round ${round}: ${id} DELE'd without QUIT was deleted`)
      }
      const racedGone = raced.filter(([, id]) => !now.has(id)).length
      assert.ok(racedGone === 0 || racedGone === raced.length, `round ${round}: a QUIT cut off by the kill deleted ${racedGone} of ${raced.length}`)
      for (const id of all) {
        const expectedGone = acked.some(([, a]) => a === id) || (racedGone > 0 && raced.some(([, r]) => r === id))
        if (!expectedGone && !now.has(id)) tally.lost++
        assert.equal(now.has(id), !expectedGone, `round ${round}: ${id} ${expectedGone ? 'should be gone' : 'was lost'}`)
      }
    } finally {
      await server.stop()
    }
    const report = await verifyStore(dataDir)
    tally.orphanedBlobs += report.orphaned.length
  })
}

/**
 * A target whose user has one big INBOX (100,000 messages in the full run), for FETCH and SEARCH.
 * Every 100th message carries the word SEARCH BODY looks for; senders rotate over 100 addresses.
 * Tidings is filled through the store API before it starts (tidings-fast-path.ts, durability off
 * for the build); Dovecot through Maildir files, then one SELECT outside the measurement builds
 * its index (its time is reported as "first SELECT").
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { makeMessage } from './message.ts'
import { writeMaildir } from './populate.ts'
import { fillMailbox } from './tidings-fast-path.ts'
import { ImapClient } from './imap-client.ts'
import { progress } from './measure.ts'
import { benchUsers, type BenchUser, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'

export const BODY_WORD = 'zebrafish'
export const FROM_WORD = 'sender7@'
const MESSAGE_SIZE = 2048

export function bigMailboxMessage(address: string) {
  return (i: number) => makeMessage({
    size: MESSAGE_SIZE,
    from: `sender${i % 100}@load.test`,
    to: address,
    id: `big.${i}`,
    subject: `Report ${i} for the weekly review`,
    date: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
    marker: i % 100 === 0 ? BODY_WORD : undefined,
  })
}

export function bigMailboxUser(): BenchUser {
  return benchUsers(1)[0]
}

/**
 * Built data dirs, by message count, kept for this process: fetch and search use the same
 * mailbox, and building 100,000 messages costs more than copying them. Removed at exit.
 */
const templates = new Map<number, string>()
process.once('exit', () => {
  for (const dir of templates.values()) rmSync(dir, { recursive: true, force: true })
})

export async function startTidingsWithBigMailbox(count: number): Promise<TidingsTarget> {
  const user = bigMailboxUser()
  const t0 = performance.now()
  const prepare = async (dir: string) => {
    const template = templates.get(count)
    if (template) {
      for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true })
      cpSync(template, dir, { recursive: true })
      progress(`tidings: ${count}-message data dir copied in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      return
    }
    await fillMailbox(dir, user.address, count, bigMailboxMessage(user.address))
    progress(`tidings: ${count} messages stored in ${((performance.now() - t0) / 1000).toFixed(1)} s (store API, durability off)`)
    const copy = mkdtempSync('/tmp/bench-template-')
    cpSync(dir, copy, { recursive: true })
    templates.set(count, copy)
  }
  return await TidingsTarget.start({ users: [user], needs: ['imap'], prepare })
}

export async function startDovecotWithBigMailbox(count: number): Promise<PostfixDovecotTarget> {
  const user = bigMailboxUser()
  const target = await PostfixDovecotTarget.start({ mode: 'stock', users: [user] })
  const t0 = performance.now()
  writeMaildir(target.dovecot.maildir(user.address), count, bigMailboxMessage(user.address))
  target.dovecot.fixOwnership(user.address)
  progress(`dovecot: ${count} Maildir files written in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return target
}

/** Logs in and SELECTs INBOX; resolves with the session, the message count and the SELECT time. */
export async function openBigInbox(target: MailTarget): Promise<{ imap: ImapClient; exists: number; selectSeconds: number }> {
  const user = bigMailboxUser()
  const imap = await ImapClient.connect(target.imapPort!)
  await imap.login(user.address, user.password)
  const t0 = performance.now()
  const reply = await imap.ok('SELECT INBOX')
  const selectSeconds = (performance.now() - t0) / 1000
  const exists = Number(/\* (\d+) EXISTS/i.exec(reply.untagged.join('\n'))?.[1] ?? 0)
  return { imap, exists, selectSeconds }
}

/**
 * Filling mailboxes before a measurement. Dovecot: Maildir files written directly (what a
 * migration would do; Dovecot indexes them at the first SELECT). Tidings: IMAP APPEND over a few
 * connections (durable, as a client would), or for big mailboxes the store API against the data
 * dir before `serve` starts (see tidings-fast-path.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImapClient } from './imap-client.ts'

/** Writes messages into Maildir/cur with Maildir++ names carrying S=<size> (Dovecot reads it). */
export function writeMaildir(maildir: string, count: number, make: (i: number) => Buffer, flags = ''): void {
  const cur = join(maildir, 'cur')
  mkdirSync(cur, { recursive: true })
  const stamp = Math.floor(Date.now() / 1000) - count
  for (let i = 0; i < count; i++) {
    const raw = make(i)
    writeFileSync(join(cur, `${stamp + i}.M${i}P${process.pid}.bench,S=${raw.length}:2,${flags}`), raw)
  }
}

/** APPENDs `count` messages over `connections` sessions; resolves with the number appended. */
export async function appendByImap(o: { port: number; address: string; password: string; count: number; make: (i: number) => Buffer; connections?: number }): Promise<number> {
  let next = 0
  let done = 0
  await Promise.all(Array.from({ length: o.connections ?? 4 }, async () => {
    const imap = await ImapClient.connect(o.port)
    imap.keepUntagged = false
    try {
      await imap.login(o.address, o.password)
      while (next < o.count) {
        const i = next++
        const reply = await imap.append('INBOX', o.make(i))
        if (reply.status !== 'OK') throw new Error(`APPEND refused: ${reply.status} ${reply.text}`)
        done++
      }
    } finally {
      await imap.logout()
    }
  }))
  return done
}

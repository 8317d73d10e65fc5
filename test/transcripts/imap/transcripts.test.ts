/**
 * Runs every `*.txt` transcript here against a fresh server (Stalwart/Dovecot imaptest style):
 *
 *   # comment
 *   @trusted no                      plaintext LOGIN not allowed (default: 127.0.0.0/8 trusted)
 *   @user alice@example.test secret  creates a user (the first one is the one @append uses)
 *   @append INBOX file.eml [\Seen …] stores a fixture message (internal date 2024-01-02 03:04:05Z)
 *   C: a LOGIN …                     a client line (C2: for a second connection); `{n+}` literals
 *                                    go on the same line, with \r\n written as the two characters
 *   S: * 1 EXISTS                    the next response line on that connection, exactly; `{*}`
 *                                    matches any text, `{=name}` captures a word that later C:
 *                                    lines use as `{$name}`; CR LF inside literals is written \r\n
 *
 * After each C: line the runner reads exactly as many lines as S: lines follow it; S: lines
 * after another connection's C: read that connection's unsolicited data (IDLE). Each connection's greeting is read on connect.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestServer } from '../../support/start-server.ts'
import { LineClient } from '../../support/line-client.ts'

const DIR = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(DIR, 'mail')

/** Exact match, `{*}` matching anything and `{=name}` capturing a word into `vars`. */
function matches(expected: string, actual: string, vars: Map<string, string>): boolean {
  const names: string[] = []
  const pattern = expected.split(/(\{\*\}|\{=\w+\})/).map((p) => {
    if (p === '{*}') return '.*'
    const capture = /^\{=(\w+)\}$/.exec(p)
    if (capture) {
      names.push(capture[1])
      return '([^\\s\\])]+)'
    }
    return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }).join('')
  const m = new RegExp('^' + pattern + '$', 's').exec(actual)
  if (!m) return false
  names.forEach((name, i) => vars.set(name, m[i + 1]))
  return true
}

const escape = (text: string) => text.replaceAll('\r\n', '\\r\\n')
const unescape = (text: string) => text.replaceAll('\\r\\n', '\r\n')

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()) {
  test(`transcript ${file}`, async () => {
    const lines = readFileSync(join(DIR, file), 'utf8').split('\n').map((l) => l.replace(/\r$/, ''))
    const trusted = !lines.includes('@trusted no')
    const server = await startTestServer({ config: trusted ? { trusted_networks: ['127.0.0.0/8'] } : {} })
    const clients = new Map<string, LineClient>()
    const users: number[] = []
    const vars = new Map<string, string>()
    try {
      const client = async (n: string) => {
        let c = clients.get(n)
        if (!c) {
          c = await LineClient.connect(server.ports['listen.imap'])
          await c.readLine()
          clients.set(n, c)
        }
        return c
      }
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]
        if (line === '' || line.startsWith('#') || line === '@trusted no') continue
        const words = line.split(' ')
        if (words[0] === '@user') {
          users.push((await server.addUser(words[1], words[2])).id)
        } else if (words[0] === '@append') {
          const folder = await server.ctx.store.folders.byPath(users[0], words[1])
          assert.ok(folder, `${file}: no folder ${words[1]}`)
          const raw = readFileSync(join(FIXTURES, words[2]))
          const keywords = words.slice(3).map((f) => ({ '\\Seen': '$seen', '\\Flagged': '$flagged', '\\Deleted': '$deleted', '\\Answered': '$answered', '\\Draft': '$draft' })[f] ?? f)
          await server.ctx.store.emails.append(users[0], folder.id, { raw, keywords, receivedAt: Date.UTC(2024, 0, 2, 3, 4, 5) })
        } else {
          const m = /^([CS])(\d*): (.*)$/.exec(line)
          assert.ok(m, `${file}:${i + 1}: expected a C: or S: line, got ${JSON.stringify(line)}`)
          const n = m[2] || '1'
          const c = await client(n)
          // An S: line on its own reads unsolicited data (IDLE) on that connection.
          if (m[1] === 'C') c.send(unescape(m[3]).replace(/\{\$(\w+)\}/g, (_, name: string) => vars.get(name) ?? '') + '\r\n')
          else i--
          for (let j = i + 1; j < lines.length; j++) {
            const s = new RegExp(`^S${n === '1' ? '1?' : n}: (.*)$`).exec(lines[j])
            if (!s) break
            i = j
            const got = escape(await c.readLine())
            const want = s[1].replace(/\{\$(\w+)\}/g, (_, name: string) => vars.get(name) ?? '')
            assert.ok(matches(want, got, vars), `${file}:${j + 1}:\n expected ${want}\n      got ${got}`)
          }
        }
      }
    } finally {
      for (const c of clients.values()) c.close()
      await server.stop()
    }
  })
}

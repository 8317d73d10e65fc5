import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Command } from 'commander'
import { loadConfig } from '../../config/load.ts'
import { dnsRecords, registerDns } from './dns.ts'

const config = loadConfig({ env: {}, overrides: { hostname: 'mail.example.test' } })

/** Runs `tidings [global options] dns …` through commander, capturing stdout. */
async function runDns(args: string[], env: Record<string, string> = {}): Promise<string> {
  const program = new Command('tidings').option('--config <file>').option('--data <dir>').option('--json').exitOverride()
  registerDns(program)
  const saved = { ...process.env }
  const write = process.stdout.write
  let out = ''
  process.stdout.write = ((chunk: string) => { out += chunk; return true }) as typeof process.stdout.write
  for (const name of Object.keys(process.env)) if (name.startsWith('TIDINGS_')) delete process.env[name]
  Object.assign(process.env, env)
  try {
    await program.parseAsync(args, { from: 'user' })
  } finally {
    process.stdout.write = write
    process.env = saved
  }
  return out
}

test('default listeners give MX, SPF, DMARC, every RFC 6186 SRV record and the autoconfig names', () => {
  const records = dnsRecords(config, 'Example.TEST.')
  const lines = records.map((r) => `${r.name} ${r.type} ${r.value}`)
  assert.deepEqual(lines, [
    'example.test. MX 10 mail.example.test.',
    'example.test. TXT "v=spf1 mx -all"',
    '_dmarc.example.test. TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test"',
    '_imaps._tcp.example.test. SRV 0 1 993 mail.example.test.',
    '_imap._tcp.example.test. SRV 10 1 143 mail.example.test.',
    '_pop3s._tcp.example.test. SRV 0 1 995 mail.example.test.',
    '_pop3._tcp.example.test. SRV 10 1 110 mail.example.test.',
    '_submissions._tcp.example.test. SRV 0 1 465 mail.example.test.',
    '_submission._tcp.example.test. SRV 10 1 587 mail.example.test.',
    'autoconfig.example.test. CNAME mail.example.test.',
    'autodiscover.example.test. CNAME mail.example.test.',
    '_autodiscover._tcp.example.test. SRV 0 1 443 mail.example.test.',
  ])
})

test('a service turned off is published as not offered (RFC 6186 §4 target ".")', () => {
  const records = dnsRecords(config.with({ 'listen.pop3': '', 'listen.pop3s': '', 'listen.https': '' }), 'example.test')
  assert.equal(records.find((r) => r.name === '_pop3._tcp.example.test.')!.value, '0 0 0 .')
  assert.equal(records.find((r) => r.name === '_pop3s._tcp.example.test.')!.value, '0 0 0 .')
  assert.equal(records.find((r) => r.name.startsWith('_autodiscover.')), undefined)
})

test('an internationalised domain is written as its A-label; nonsense is refused', () => {
  assert.equal(dnsRecords(config, 'bücher.example')[0].name, 'xn--bcher-kva.example.')
  for (const bad of ['', 'localhost', 'a b.test', '-x.test', 'x..test']) assert.throws(() => dnsRecords(config, bad), /not a domain name/)
})

test('`tidings dns` prints zone-file lines ready to paste, and --json the records', async () => {
  const text = await runDns(['dns', 'example.test'], { TIDINGS_HOSTNAME: 'mx.example.test' })
  const zone = text.split('\n').filter((l) => l && !l.startsWith(';'))
  assert.equal(zone.length, 12)
  for (const line of zone) assert.match(line, /^\S+\.\s+3600 IN (MX|TXT|SRV|CNAME)\s+\S/)
  assert.ok(zone.some((l) => /^_submissions\._tcp\.example\.test\.\s+3600 IN SRV\s+0 1 465 mx\.example\.test\.$/.test(l)))
  const json = JSON.parse(await runDns(['--json', 'dns', 'example.test'], { TIDINGS_HOSTNAME: 'mx.example.test' }))
  assert.deepEqual(json[0], { name: 'example.test.', ttl: 3600, type: 'MX', value: '10 mx.example.test.' })
})

test('`tidings dns` as an operator runs it: zone lines on stdout, a bad domain → exit 1 with one line', async () => {
  const { runCli } = await import('../../../test/support/cli.ts')
  const ok = await runCli(['dns', 'example.test'], { env: { TIDINGS_HOSTNAME: 'mail.example.test', TIDINGS_DATA_DIR: '/nonexistent/tidings-dns-test' } })
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /^_imaps\._tcp\.example\.test\.\s+3600 IN SRV\s+0 1 993 mail\.example\.test\.$/m)
  const bad = await runCli(['dns', 'not a domain'])
  assert.equal(bad.code, 1)
  assert.equal(bad.stderr, 'tidings: "not a domain" is not a domain name (like example.test)\n')
})

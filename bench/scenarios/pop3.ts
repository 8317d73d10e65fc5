/**
 * POP3: one session retrieves 1,000 messages of 4 KiB (RETR 1..1000), three times, Tidings
 * against Dovecot. Mailboxes are filled before the server starts (Tidings: store API fast path;
 * Dovecot: Maildir files).
 */
import { runInWorkers } from '../load/workers.ts'
import type { Pop3RetrieverInput, Pop3RetrieverResult } from '../load/pop3-retriever.ts'
import { cell, ratio } from '../lib/stats.ts'
import { progress, usingTarget, withServerCpu } from '../lib/measure.ts'
import { makeMessage } from '../lib/message.ts'
import { writeMaildir } from '../lib/populate.ts'
import { fillMailbox } from '../lib/tidings-fast-path.ts'
import { benchUsers, type MailTarget } from '../targets/target.ts'
import { TidingsTarget } from '../targets/tidings.ts'
import { PostfixDovecotTarget } from '../targets/postfix-dovecot.ts'

interface Sample {
  perSecond: number
  seconds: number
  serverCpu: number
  generatorCpu: number
}

export async function run(options: { quick?: boolean }): Promise<{ name: string; rows: Array<Record<string, string | number>> }> {
  const count = options.quick ? 300 : 1000
  const runs = 3
  const [user] = benchUsers(1)
  const make = (i: number) => makeMessage({ size: 4096, from: `sender${i % 10}@load.test`, to: user.address, id: `pop.${i}` })

  const measure = async (target: MailTarget): Promise<Sample[]> => {
    const samples: Sample[] = []
    for (let r = 0; r < runs; r++) {
      const input: Pop3RetrieverInput = { port: target.pop3Port!, address: user.address, password: user.password, count }
      const { value, serverCpuSeconds } = await withServerCpu(target, () => runInWorkers<Pop3RetrieverInput, Pop3RetrieverResult>(new URL('../load/pop3-retriever.ts', import.meta.url), [input]))
      const [res] = value.results
      if (res.firstError) progress(`${target.name}: ${res.firstError}`)
      if (res.retrieved < count) progress(`${target.name}: retrieved ${res.retrieved} of ${count}`)
      samples.push({ perSecond: res.retrieved / res.seconds, seconds: res.seconds, serverCpu: serverCpuSeconds, generatorCpu: value.generatorCpuSeconds })
      progress(`${target.name} run ${r + 1}: ${res.retrieved} RETR in ${res.seconds.toFixed(2)} s`)
    }
    return samples
  }

  const tidings = await usingTarget('tidings', () => TidingsTarget.start({ users: [user], needs: ['pop3'], cache: `pop3 ${count}`, prepare: (dir) => fillMailbox(dir, user.address, count, make) }), measure)
  const dovecot = await usingTarget('dovecot', async () => {
    const target = await PostfixDovecotTarget.start({ mode: 'stock', users: [user] })
    writeMaildir(target.dovecot.maildir(user.address), count, make)
    target.dovecot.fixOwnership(user.address)
    return target
  }, measure)
  const row = (name: string, s: Sample[] | undefined, vs = '') => ({
    target: name,
    'RETR/s': cell(s?.map((x) => x.perSecond) ?? []),
    [`seconds for ${count}`]: cell(s?.map((x) => x.seconds) ?? []),
    'server CPU s/run': cell(s?.map((x) => x.serverCpu) ?? []),
    'generator CPU s/run': cell(s?.map((x) => x.generatorCpu) ?? []),
    'tidings ÷ this (RETR/s)': vs,
  })
  return { name: 'pop3', rows: [row('tidings', tidings), row('dovecot (stock)', dovecot, ratio(tidings?.map((x) => x.perSecond), dovecot?.map((x) => x.perSecond)))] }
}

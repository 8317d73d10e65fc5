/**
 * `./node_modules/.bin/node bench/profile-summary.ts <file.cpuprofile|dir>… [--top N] [--stacks RE]`:
 * prints the top self-time functions and files of each profile (Markdown). A directory means
 * every .cpuprofile in it. `--stacks RE`: instead, the heaviest call stacks ending in a function
 * whose name matches RE (who calls the hot function). `npm run bench -- <scenario> --profile`
 * writes profiles and prints their summaries.
 */
import { readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { formatProfile, heaviestStacks, summarizeProfile } from './lib/cpu-profile.ts'

const args = process.argv.slice(2)
const topAt = args.indexOf('--top')
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25
const stacksAt = args.indexOf('--stacks')
const stacks = stacksAt >= 0 ? new RegExp(args[stacksAt + 1]) : null
const values = new Set([topAt, stacksAt].filter((at) => at >= 0).map((at) => at + 1))
const paths = args.filter((a, i) => !a.startsWith('--') && !values.has(i))
if (paths.length === 0 || !Number.isInteger(top) || top < 1) {
  console.error('usage: node bench/profile-summary.ts <file.cpuprofile|dir>… [--top N]')
  process.exit(2)
}
for (const path of paths) {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(path, f))
    : [path]
  if (files.length === 0) console.error(`${path}: no .cpuprofile files`)
  for (const file of files) {
    if (!stacks) {
      console.log(formatProfile(summarizeProfile(file, top), basename(file)))
      continue
    }
    console.log(`### ${basename(file)}: stacks ending in /${stacks.source}/\n`)
    for (const s of heaviestStacks(file, stacks, top)) console.log(`- ${s.ms.toFixed(0)} ms (${s.percent.toFixed(0)} %): ${s.name}`)
    console.log('')
  }
}

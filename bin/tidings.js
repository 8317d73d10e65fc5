#!/usr/bin/env node
// Runs src/main.ts on the Node.js 24 that the `node` package installs beside us, whatever `node`
// is first on PATH (Tidings needs node:sqlite and TypeScript type stripping). Plain JavaScript
// that any Node version can run.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const candidates = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')]
const node = candidates.find((file) => existsSync(file))
if (!node) {
  process.stderr.write(`tidings: the bundled Node.js 24 is missing; run npm install in ${root}\n`)
  process.exit(1)
}
const child = spawn(node, [join(root, 'src', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' })
// Ctrl-C reaches the child directly (same process group); forwarding it too would count as a
// second signal, which forces an immediate exit. Signals sent to us by pid are passed on.
process.on('SIGINT', () => {})
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  } else process.exit(code ?? 1)
})
child.on('error', (error) => {
  process.stderr.write(`tidings: cannot start ${node}: ${error.message}\n`)
  process.exit(1)
})

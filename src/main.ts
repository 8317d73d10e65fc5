/**
 * Entry point of `tidings` (and `npm start` = `tidings serve`). Everything is composed by the
 * command that runs: nothing opens a database or reads configuration at import time.
 */
// Blob fsyncs, WAL syncs and blob reads share libuv's pool (4 threads by default): a delivery
// burst would queue behind it. Set before anything touches the pool; an explicit value wins.
process.env.UV_THREADPOOL_SIZE ??= '16'
const args = process.argv.slice(2)
let code: number
let serving = false
try {
  const cli = await import('./admin/cli/index.ts')
  code = await cli.runCli(args)
  serving = cli.isServing()
} catch (error) {
  // Only a broken installation gets here (a module that fails to load): still one line.
  process.stderr.write(`tidings: ${(error as Error).message?.split('\n')[0] ?? error}\n`)
  code = 1
}
if (!serving) {
  // Let stdout drain, then exit even if a library left a handle open.
  process.stdout.write('', () => process.exit(code))
}

import type { Command } from 'commander'
import { withExistingAdmin } from './context.ts'

/** `tidings verify`: re-hashes every blob and checks reference counts; exit 1 on any problem. */
export function registerVerify(program: Command): void {
  program.command('verify')
    .description('Check every stored message blob against its hash and the reference counts')
    .action((_options: unknown, command: Command) => withExistingAdmin(command, async (admin) => {
      const report = await admin.store.verify()
      const problems = report.mismatched.length + report.missing.length + report.orphaned.length + report.badRefs.length
      admin.print([
        `Checked ${report.checked} blobs: ${problems === 0 ? 'all good' : `${problems} problems`}`,
        ...report.mismatched.map((id) => `  corrupt (hash mismatch): ${id}`),
        ...report.missing.map((id) => `  missing: ${id}`),
        ...report.orphaned.map((id) => `  orphaned (no references): ${id}`),
        ...report.badRefs.map((id) => `  wrong reference count: ${id}`),
      ], { ...report, ok: problems === 0 })
      if (problems > 0) process.exitCode = 1
    }))
}

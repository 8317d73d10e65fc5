import type { AccountId } from '../../store/store.ts'
import type { AdminContext } from '../cli/context.ts'

/** The store account of a user address, or an error that says which address is unknown. */
export async function accountOf(admin: AdminContext, address: string): Promise<AccountId> {
  const principal = await admin.directory.principalByAddress(address)
  if (!principal) throw new Error(`No user ${address} (add it first: tidings user add ${address} --password -)`)
  if (!(await admin.store.accounts.get(principal.id))) throw new Error(`${address} has no mailbox (a ${principal.kind})`)
  return principal.id
}

import type { ImapSession } from './session.ts'

/** `* QUOTA "" (STORAGE used limit MESSAGE used limit)` (RFC 9208 §5.1; STORAGE in KiB). */
export async function writeQuota(session: ImapSession): Promise<void> {
  const info = await session.store.accounts.get(session.account)
  const resources: string[] = []
  if (info?.quotaBytes) resources.push(`STORAGE ${Math.ceil(info.usedBytes / 1024)} ${Math.floor(info.quotaBytes / 1024)}`)
  if (info?.quotaMessages) resources.push(`MESSAGE ${info.usedMessages} ${info.quotaMessages}`)
  await session.untagged(`QUOTA "" (${resources.join(' ')})`)
}

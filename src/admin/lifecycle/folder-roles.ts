/**
 * Where a source folder lands in a Tidings mailbox. Special-use folders (RFC 6154 attributes, or
 * the names other servers give them: Exchange's "Sent Items", "Deleted Items", "Junk E-mail",
 * Gmail's "[Gmail]/Sent Mail", Courier's "INBOX.Sent") go to the folder with that role, so a
 * migrated mailbox has one Sent folder, not two. Children follow their parent.
 */
import type { AccountId, Folder, FolderRole, Store } from '../../store/store.ts'
import { StoreError } from '../../store/errors.ts'

const SPECIAL_USE: Record<string, FolderRole> = {
  '\\sent': 'sent', '\\drafts': 'drafts', '\\trash': 'trash', '\\junk': 'junk',
  '\\archive': 'archive', '\\all': 'all', '\\flagged': 'flagged', '\\important': 'important',
}

/** Lower-cased names (last component) that mean a role, as clients and servers spell them. */
const NAMES: Record<string, FolderRole> = {
  'sent': 'sent', 'sent items': 'sent', 'sent messages': 'sent', 'sent mail': 'sent', 'sent-mail': 'sent', 'outbox sent': 'sent',
  'gesendet': 'sent', 'gesendete objekte': 'sent', 'envoyés': 'sent', 'éléments envoyés': 'sent', 'enviados': 'sent',
  'drafts': 'drafts', 'draft': 'drafts', 'entwürfe': 'drafts', 'brouillons': 'drafts', 'borradores': 'drafts',
  'trash': 'trash', 'deleted items': 'trash', 'deleted messages': 'trash', 'deleted': 'trash', 'bin': 'trash',
  'papierkorb': 'trash', 'gelöschte elemente': 'trash', 'corbeille': 'trash', 'papelera': 'trash',
  'junk': 'junk', 'junk e-mail': 'junk', 'junk email': 'junk', 'junk mail': 'junk', 'spam': 'junk', 'bulk mail': 'junk',
  'archive': 'archive', 'archives': 'archive', 'archiv': 'archive',
}

/** The role a source folder stands for, or null. `path` is '/'-separated. */
export function roleOf(path: string, specialUse?: string): FolderRole | 'inbox' | null {
  if (path.toUpperCase() === 'INBOX') return 'inbox'
  if (specialUse && SPECIAL_USE[specialUse.toLowerCase()]) return SPECIAL_USE[specialUse.toLowerCase()]
  const parts = path.split('/')
  // "[Gmail]/Sent Mail" and Courier's "INBOX/Sent" name a role one level down.
  const top = parts.length === 1 || (parts.length === 2 && /^(inbox|\[gmail\]|\[google mail\])$/i.test(parts[0]))
  if (!top) return null
  return NAMES[parts[parts.length - 1].toLowerCase()] ?? null
}

/** Resolves source folder paths to target folders, creating them as needed; cached. */
export class FolderResolver {
  readonly #store: Store
  readonly #account: AccountId
  readonly #cache = new Map<string, Folder>()
  /** Source path → target path for folders mapped onto a role (their children follow). */
  readonly #renamed = new Map<string, string>()

  constructor(store: Store, account: AccountId) {
    this.#store = store
    this.#account = account
  }

  async resolve(sourcePath: string, specialUse?: string): Promise<Folder> {
    const path = sourcePath.normalize('NFC')
    const cached = this.#cache.get(path)
    if (cached) return cached
    const folder = await this.#find(path, specialUse)
    this.#cache.set(path, folder)
    return folder
  }

  async #find(path: string, specialUse?: string): Promise<Folder> {
    const role = roleOf(path, specialUse)
    if (role) {
      const existing = await this.#store.folders.byRole(this.#account, role)
      if (existing) {
        this.#renamed.set(path, existing.path)
        return existing
      }
    }
    const target = this.#targetPath(path)
    const found = await this.#store.folders.byPath(this.#account, target)
    if (found) return found
    try {
      return await this.#store.folders.create(this.#account, target, role && role !== 'inbox' ? { role } : {})
    } catch (error) {
      // Another writer (a running server's client) created it meanwhile.
      if (error instanceof StoreError && error.kind === 'exists') {
        const again = await this.#store.folders.byPath(this.#account, target)
        if (again) return again
      }
      throw error
    }
  }

  /** Children of a folder mapped onto a role move with it ("Sent Items/2024" → "Sent/2024"). */
  #targetPath(path: string): string {
    if (path.toUpperCase() === 'INBOX') return 'INBOX'
    const parts = path.split('/')
    for (let n = parts.length - 1; n > 0; n--) {
      const mapped = this.#renamed.get(parts.slice(0, n).join('/'))
      if (mapped) return [mapped, ...parts.slice(n)].join('/')
    }
    return path
  }
}

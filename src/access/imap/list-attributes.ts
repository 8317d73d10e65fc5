import type { Folder, FolderRole } from '../../store/store.ts'

/** RFC 6154 special-use attributes of the store's folder roles. */
export const ROLE_ATTRIBUTES: Partial<Record<FolderRole, string>> = {
  drafts: '\\Drafts',
  sent: '\\Sent',
  trash: '\\Trash',
  junk: '\\Junk',
  archive: '\\Archive',
  all: '\\All',
  flagged: '\\Flagged',
  important: '\\Important',
}

/** `\Drafts` etc. → role, for CREATE … (USE (\Drafts)) (RFC 6154 §3). */
export function roleOfAttribute(attribute: string): FolderRole | null {
  for (const [role, attr] of Object.entries(ROLE_ATTRIBUTES)) {
    if (attr.toLowerCase() === attribute.toLowerCase()) return role as FolderRole
  }
  return null
}

export function hasChildren(folder: Folder, all: readonly Folder[]): boolean {
  const prefix = folder.path + '/'
  return all.some((f) => f.type === 'mail' && f.path.startsWith(prefix))
}

/** LIST attributes (RFC 9051 §7.3.1, RFC 5258 CHILDREN, RFC 6154 SPECIAL-USE). */
export function listAttributes(folder: Folder, all: readonly Folder[], subscribed: boolean): string[] {
  const attrs = [hasChildren(folder, all) ? '\\HasChildren' : '\\HasNoChildren']
  const special = folder.role ? ROLE_ATTRIBUTES[folder.role] : undefined
  if (special) attrs.push(special)
  if (subscribed && folder.subscribed) attrs.push('\\Subscribed')
  return attrs
}

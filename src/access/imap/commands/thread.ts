import { SELECTED, type ImapCommand } from '../command.ts'
import type { MessageInfo } from '../../../store/store.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { ImapError } from '../responses.ts'
import { parseSearch } from '../search-keys.ts'

interface Node {
  info: MessageInfo
  children: Node[]
}

/**
 * RFC 5256 THREAD: ORDEREDSUBJECT exactly; REFERENCES simplified: parents from References /
 * In-Reply-To within the result, roots of one store thread (same subject/references) become
 * siblings under a dummy parent. Ties and orders by sent date, then UID.
 */
export const thread: ImapCommand = {
  name: 'THREAD',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const algorithm = args.atom('threading algorithm').toUpperCase()
    if (algorithm !== 'REFERENCES' && algorithm !== 'ORDEREDSUBJECT') throw new ImapSyntaxError('Unknown threading algorithm')
    const charset = args.string('charset').toUpperCase()
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'BADCHARSET (UTF-8 US-ASCII)', 'Unsupported charset')
    const key = parseSearch(session, args)
    const uids = (await session.store.emails.search(session.account, view.folder.id, key)).filter((uid) => view.msnOf(uid) > 0)
    const infos: MessageInfo[] = []
    for (let i = 0; i < uids.length; i += 500) infos.push(...await session.store.emails.info(session.account, view.folder.id, uids.slice(i, i + 500)))
    const id = (info: MessageInfo) => call.uid ? info.uid : view.msnOf(info.uid)
    const trees = algorithm === 'ORDEREDSUBJECT' ? bySubject(infos) : byReferences(infos)
    const text = trees.map((t) => '(' + render(t, id) + ')').join('')
    await session.untagged(`THREAD${text ? ' ' + text : ''}`)
    session.tagged('OK', `${call.uid ? 'UID ' : ''}THREAD completed`)
  },
}

const byDate = (a: Node, b: Node) => ((a.info.sentAt ?? a.info.receivedAt) - (b.info.sentAt ?? b.info.receivedAt)) || a.info.uid - b.info.uid

/** A root with children (or a list of sibling roots: a dummy parent). */
type Tree = Node | Node[]

function bySubject(infos: MessageInfo[]): Tree[] {
  const groups = new Map<string, Node[]>()
  for (const info of infos) {
    const list = groups.get(info.baseSubject) ?? []
    list.push({ info, children: [] })
    groups.set(info.baseSubject, list)
  }
  const roots: Node[] = []
  for (const list of groups.values()) {
    list.sort(byDate)
    const [root, ...rest] = list
    root.children = rest
    roots.push(root)
  }
  return roots.sort(byDate)
}

function byReferences(infos: MessageInfo[]): Tree[] {
  const nodes = infos.map((info) => ({ info, children: [] as Node[] }))
  const byId = new Map<string, Node>()
  for (const n of nodes) if (n.info.messageId && !byId.has(n.info.messageId)) byId.set(n.info.messageId, n)
  const roots: Node[] = []
  for (const n of nodes) {
    let parent: Node | undefined
    for (let i = n.info.references.length - 1; i >= 0 && !parent; i--) {
      const p = byId.get(n.info.references[i])
      if (p && p !== n && !descends(p, n)) parent = p
    }
    if (parent) parent.children.push(n)
    else roots.push(n)
  }
  for (const n of nodes) n.children.sort(byDate)
  const byThread = new Map<number, Node[]>()
  for (const r of roots) {
    const list = byThread.get(r.info.threadId) ?? []
    list.push(r)
    byThread.set(r.info.threadId, list)
  }
  const trees: Tree[] = []
  for (const list of byThread.values()) trees.push(list.length === 1 ? list[0] : list.sort(byDate))
  const first = (t: Tree) => Array.isArray(t) ? t[0] : t
  return trees.sort((a, b) => byDate(first(a), first(b)))
}

function descends(candidate: Node, ancestor: Node): boolean {
  const stack = [...ancestor.children]
  while (stack.length) {
    const n = stack.pop()!
    if (n === candidate) return true
    stack.push(...n.children)
  }
  return false
}

function render(tree: Tree, id: (info: MessageInfo) => number): string {
  if (Array.isArray(tree)) return tree.map((n) => '(' + render(n, id) + ')').join('')
  let out = String(id(tree.info))
  if (tree.children.length === 1) out += ' ' + render(tree.children[0], id)
  else if (tree.children.length > 1) out += ' ' + tree.children.map((c) => '(' + render(c, id) + ')').join('')
  return out
}

import { SELECTED, type ImapCommand } from '../command.ts'
import type { MessageInfo } from '../../../store/store.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'
import { ImapError } from '../responses.ts'
import { parseSearch } from '../search-keys.ts'
import { threadByReferences, renderThread } from './thread-references.ts'

interface Node {
  info: MessageInfo
  children: Node[]
}

/** RFC 5256 THREAD: ORDEREDSUBJECT here, REFERENCES in thread-references.ts. */
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
    const text = algorithm === 'ORDEREDSUBJECT'
      ? bySubject(infos).map((t) => '(' + render(t, id) + ')').join('')
      : threadByReferences(infos).map((t) => '(' + renderThread(t, id) + ')').join('')
    await session.untagged(`THREAD${text ? ' ' + text : ''}`)
    session.tagged('OK', `${call.uid ? 'UID ' : ''}THREAD completed`)
  },
}

const byDate = (a: Node, b: Node) => ((a.info.sentAt ?? a.info.receivedAt) - (b.info.sentAt ?? b.info.receivedAt)) || a.info.uid - b.info.uid

/** ORDEREDSUBJECT (RFC 5256 §2.1): by base subject, each group's first message the parent. */
function bySubject(infos: MessageInfo[]): Node[] {
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

function render(tree: Node, id: (info: MessageInfo) => number): string {
  let out = String(id(tree.info))
  if (tree.children.length === 1) out += ' ' + render(tree.children[0], id)
  else if (tree.children.length > 1) out += ' ' + tree.children.map((c) => '(' + render(c, id) + ')').join('')
  return out
}

/**
 * RFC 5256 §2.2 THREAD=REFERENCES (the JWZ algorithm): link containers by References /
 * In-Reply-To, prune empty containers, group roots by base subject, sort siblings by date.
 */
import type { MessageInfo } from '../../../store/store.ts'

export interface Container {
  info: MessageInfo | null
  parent: Container | null
  children: Container[]
}

const node = (info: MessageInfo | null = null): Container => ({ info, parent: null, children: [] })

function isAncestor(candidate: Container, of: Container): boolean {
  for (let c: Container | null = of; c; c = c.parent) if (c === candidate) return true
  return false
}

function link(parent: Container, child: Container): void {
  if (child.parent === parent || isAncestor(child, parent)) return
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child)
  child.parent = parent
  parent.children.push(child)
}

/** Date used for ordering: the message's sent date, or its internal date (RFC 5256 §2.2). */
function dateOf(c: Container): number {
  if (c.info) return c.info.sentAt ?? c.info.receivedAt
  return c.children.length ? dateOf(c.children[0]) : 0
}

function compare(a: Container, b: Container): number {
  return dateOf(a) - dateOf(b) || (firstUid(a) - firstUid(b))
}

function firstUid(c: Container): number {
  return c.info ? c.info.uid : c.children.length ? firstUid(c.children[0]) : 0
}

export function threadByReferences(infos: readonly MessageInfo[]): Container[] {
  const byId = new Map<string, Container>()
  const all: Container[] = []
  for (const info of infos) {
    // (1A) the reference chain, oldest first, without breaking existing links.
    let prev: Container | null = null
    for (const id of info.references) {
      let c = byId.get(id)
      if (!c) byId.set(id, (c = node()))
      if (prev && !c.parent && !isAncestor(c, prev)) link(prev, c)
      prev = c
    }
    // (1B) the message itself; a duplicate Message-ID gets a container of its own.
    let self = info.messageId ? byId.get(info.messageId) : undefined
    if (!self || self.info) {
      self = node(info)
      if (info.messageId && !byId.has(info.messageId)) byId.set(info.messageId, self)
    } else self.info = info
    all.push(self)
    if (self.parent) self.parent.children = self.parent.children.filter((c) => c !== self)
    self.parent = null
    if (prev && prev !== self && !isAncestor(self, prev)) link(prev, self)
  }
  // (2) roots, from every container reachable (dummies included).
  const seen = new Set<Container>([...byId.values(), ...all])
  let roots = [...seen].filter((c) => !c.parent)
  // (4) prune empty containers.
  roots = prune(roots, true)
  // (5) group roots by base subject.
  const bySubject = new Map<string, Container>()
  const grouped: Container[] = []
  for (const root of roots.sort(compare)) {
    const subject = baseSubjectOf(root)
    if (!subject) {
      grouped.push(root)
      continue
    }
    const other = bySubject.get(subject)
    if (!other) {
      bySubject.set(subject, root)
      grouped.push(root)
      continue
    }
    if (!other.info) {
      if (!root.info) for (const c of root.children) link(other, c)
      else link(other, root)
    } else if (!root.info) {
      // The dummy adopts the message (RFC 5256 §2.2 step 5.B.ii).
      link(root, other)
      grouped[grouped.indexOf(other)] = root
      bySubject.set(subject, root)
    } else if (isReply(root) && !isReply(other)) {
      link(other, root)
    } else {
      // Both originals (or both replies): a new dummy parents them.
      const dummy = node()
      grouped[grouped.indexOf(other)] = dummy
      bySubject.set(subject, dummy)
      link(dummy, other)
      link(dummy, root)
    }
  }
  // (6) sort siblings by date, then the threads.
  const sortTree = (list: Container[]) => {
    for (const c of list) sortTree(c.children)
    list.sort(compare)
  }
  sortTree(grouped)
  return grouped
}

function prune(list: Container[], atRoot: boolean): Container[] {
  const out: Container[] = []
  for (const c of list) {
    c.children = prune(c.children, false)
    for (const child of c.children) child.parent = c
    if (c.info) {
      out.push(c)
    } else if (c.children.length === 0) {
      continue
    } else if (!atRoot || c.children.length === 1) {
      for (const child of c.children) child.parent = null
      out.push(...c.children)
    } else {
      out.push(c)
    }
  }
  return out
}

function baseSubjectOf(c: Container): string {
  const info = c.info ?? c.children[0]?.info
  return info?.baseSubject ?? ''
}

/** The subject starts with a reply/forward marker the base-subject extraction removes. */
function isReply(c: Container): boolean {
  return /^\s*(\[[^\]]*\]\s*)*(re|fwd?)\s*(\[[^\]]*\])?\s*:/i.test(c.info?.subject ?? '')
}

/** RFC 5256 §4 output: `(3 6 (4 23)(44 7 96))`; a dummy root is `((3)(5))`. */
export function renderThread(c: Container, id: (info: MessageInfo) => number): string {
  const kids = c.children
  if (!c.info) return kids.map((k) => '(' + renderThread(k, id) + ')').join('')
  let out = String(id(c.info))
  if (kids.length === 1) out += ' ' + renderThread(kids[0], id)
  else if (kids.length > 1) out += ' ' + kids.map((k) => '(' + renderThread(k, id) + ')').join('')
  return out
}

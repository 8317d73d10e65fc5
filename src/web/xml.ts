/**
 * A deliberately tiny XML reader for the few small request documents the web front door accepts
 * (Autodiscover POX). It understands elements, attributes, namespaces, text, comments, CDATA and
 * the five predefined entities plus character references — and nothing else: a DOCTYPE (and with
 * it every custom entity, the "billion laughs" and XXE attacks) is refused outright.
 */

/** Nesting deeper than this is refused: stops stack/CPU exhaustion by `<a><a><a>…`. */
export const MAX_XML_DEPTH = 32
/** More elements than this is refused: the documents we read have a handful. */
export const MAX_XML_ELEMENTS = 2_000

export class XmlSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message)
    this.name = 'XmlSyntaxError'
  }
}

export interface XmlElement {
  /** Local name, without prefix. */
  name: string
  /** Namespace URI ('' when none). */
  ns: string
  attributes: Record<string, string>
  children: XmlElement[]
  /** Concatenated character data directly inside this element. */
  text: string
}

const NAME = /^[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?/
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Parses one XML document; throws XmlSyntaxError on anything malformed or outside the subset. */
export function parseXml(input: string): XmlElement {
  let pos = 0
  let elements = 0
  const stack: Array<{ element: XmlElement; qname: string; scope: Map<string, string> }> = []
  let root: XmlElement | undefined

  const fail = (what: string): never => {
    throw new XmlSyntaxError(`${what} at offset ${pos}`)
  }

  if (input.charCodeAt(0) === 0xfeff) pos = 1
  while (pos < input.length) {
    const lt = input.indexOf('<', pos)
    const textEnd = lt === -1 ? input.length : lt
    if (textEnd > pos) {
      const raw = input.slice(pos, textEnd)
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('Text outside the root element')
      } else {
        stack[stack.length - 1].element.text += decodeEntities(raw, fail)
      }
      pos = textEnd
      continue
    }
    if (input.startsWith('<?', pos)) {
      const end = input.indexOf('?>', pos + 2)
      if (end === -1) fail('Unterminated processing instruction')
      pos = end + 2
    } else if (input.startsWith('<!--', pos)) {
      const end = input.indexOf('-->', pos + 4)
      if (end === -1) fail('Unterminated comment')
      pos = end + 3
    } else if (input.startsWith('<![CDATA[', pos)) {
      const end = input.indexOf(']]>', pos + 9)
      if (end === -1 || stack.length === 0) fail('Misplaced or unterminated CDATA section')
      stack[stack.length - 1].element.text += input.slice(pos + 9, end)
      pos = end + 3
    } else if (input.startsWith('<!', pos)) {
      fail('DOCTYPE and markup declarations are not accepted')
    } else if (input.startsWith('</', pos)) {
      const m = NAME.exec(input.slice(pos + 2, pos + 2 + 256))
      const top = stack.pop()
      if (!m || !top || m[0] !== top.qname) fail('Mismatched end tag')
      pos += 2 + m![0].length
      while (isSpace(input.charCodeAt(pos))) pos++
      if (input[pos] !== '>') fail('Malformed end tag')
      pos++
    } else {
      if (root && stack.length === 0) fail('More than one root element')
      if (stack.length >= MAX_XML_DEPTH) fail('Elements nested too deeply')
      if (++elements > MAX_XML_ELEMENTS) fail('Too many elements')
      pos++
      const m = NAME.exec(input.slice(pos, pos + 256))
      if (!m) fail('Malformed start tag')
      const qname = m![0]
      pos += qname.length
      const rawAttributes: Array<[string, string]> = []
      let selfClosing = false
      for (;;) {
        const before = pos
        while (isSpace(input.charCodeAt(pos))) pos++
        if (input.startsWith('/>', pos)) { selfClosing = true; pos += 2; break }
        if (input[pos] === '>') { pos++; break }
        if (pos === before) fail('Expected whitespace between attributes')
        const a = NAME.exec(input.slice(pos, pos + 256))
        if (!a) fail('Malformed attribute')
        pos += a![0].length
        while (isSpace(input.charCodeAt(pos))) pos++
        if (input[pos] !== '=') fail('Attribute without a value')
        pos++
        while (isSpace(input.charCodeAt(pos))) pos++
        const quote = input[pos]
        if (quote !== '"' && quote !== "'") fail('Unquoted attribute value')
        const end = input.indexOf(quote, pos + 1)
        if (end === -1) fail('Unterminated attribute value')
        const value = input.slice(pos + 1, end)
        if (value.includes('<')) fail('"<" in an attribute value')
        rawAttributes.push([a![0], decodeEntities(value, fail)])
        pos = end + 1
      }
      const parentScope = stack.length ? stack[stack.length - 1].scope : new Map<string, string>()
      let scope = parentScope
      const attributes: Record<string, string> = {}
      for (const [name, value] of rawAttributes) {
        if (name === 'xmlns' || name.startsWith('xmlns:')) {
          if (scope === parentScope) scope = new Map(parentScope)
          scope.set(name === 'xmlns' ? '' : name.slice(6), value)
        } else {
          attributes[name] = value
        }
      }
      const colon = qname.indexOf(':')
      const prefix = colon === -1 ? '' : qname.slice(0, colon)
      const ns = scope.get(prefix)
      if (prefix && ns === undefined) fail(`Undeclared namespace prefix "${prefix}"`)
      const element: XmlElement = { name: qname.slice(colon + 1), ns: ns ?? '', attributes, children: [], text: '' }
      if (stack.length) stack[stack.length - 1].element.children.push(element)
      else root = element
      if (!selfClosing) stack.push({ element, qname, scope })
    }
  }
  if (stack.length) fail('Unclosed element')
  if (!root) fail('No root element')
  return root!
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

function decodeEntities(raw: string, fail: (what: string) => never): string {
  if (!raw.includes('&')) return raw
  return raw.replace(/&([^;&\s]{0,10});?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) fail('Bare "&" in text')
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
      if (!Number.isInteger(code) || code <= 0 || code > 0x10ffff) fail('Bad character reference')
      return String.fromCodePoint(code)
    }
    const value = ENTITIES[name]
    if (value === undefined) fail(`Unknown entity "&${name};"`)
    return value
  })
}

/** The first child with this local name (any namespace), or undefined. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name)
}

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`)
}

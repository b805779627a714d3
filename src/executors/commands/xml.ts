/**
 * A small XML reader for the gluster CLI's `--xml` output: elements, attributes, text, self-closing
 * tags, comments, CDATA and the predefined and numeric entities. No DTDs, no namespaces: the CLI uses
 * neither. Throws on malformed input rather than guessing.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded, untrimmed. */
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw new Error(`unknown XML entity ${whole}`);
    return named;
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][-A-Za-z0-9_.:]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed XML at offset ${pos}: ${what}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      const rest = source.slice(pos);
      const ws = /^\s+/.exec(rest);
      if (ws) {
        pos += ws[0].length;
        continue;
      }
      if (rest.startsWith('<?')) {
        const end = source.indexOf('?>', pos);
        if (end < 0) fail('unterminated processing instruction');
        pos = end + 2;
        continue;
      }
      if (rest.startsWith('<!--')) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
        continue;
      }
      if (rest.startsWith('<!DOCTYPE')) fail('DOCTYPE is not supported');
      return;
    }
  };

  const readElement = (): XmlElement => {
    if (source[pos] !== '<') fail('expected <');
    pos += 1;
    NAME.lastIndex = pos;
    const nameMatch = NAME.exec(source);
    if (!nameMatch) return fail('expected an element name');
    const element: XmlElement = { name: nameMatch[0], attributes: {}, children: [], text: '' };
    pos = NAME.lastIndex;
    for (;;) {
      ATTRIBUTE.lastIndex = pos;
      const attr = ATTRIBUTE.exec(source);
      if (!attr) break;
      element.attributes[attr[1]!] = decodeEntities(attr[3] ?? attr[4] ?? '');
      pos = ATTRIBUTE.lastIndex;
    }
    while (/\s/.test(source[pos] ?? '')) pos += 1;
    if (source.startsWith('/>', pos)) {
      pos += 2;
      return element;
    }
    if (source[pos] !== '>') fail(`expected > in <${element.name}>`);
    pos += 1;
    for (;;) {
      if (pos >= source.length) fail(`unterminated <${element.name}>`);
      if (source.startsWith('</', pos)) {
        const end = source.indexOf('>', pos);
        if (end < 0) fail('unterminated end tag');
        const closing = source.slice(pos + 2, end).trim();
        if (closing !== element.name) fail(`</${closing}> closes <${element.name}>`);
        pos = end + 1;
        return element;
      }
      if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA');
        element.text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source[pos] === '<') {
        element.children.push(readElement());
      } else {
        const next = source.indexOf('<', pos);
        const end = next < 0 ? source.length : next;
        element.text += decodeEntities(source.slice(pos, end));
        pos = end;
      }
    }
  };

  skipMisc();
  const root = readElement();
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/** Trimmed text of a direct child, or undefined when there is no such child. */
export function childText(element: XmlElement, name: string): string | undefined {
  const child = childElement(element, name);
  return child === undefined ? undefined : child.text.trim();
}

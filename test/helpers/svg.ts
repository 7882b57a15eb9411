/**
 * Well-formedness checks for the SVG plots (test/unit/report-plots.test.ts,
 * test/unit/audit/plot.test.ts): a strict parser for the XML subset they use, and the checks
 * every plot must pass.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict parser for the XML subset the plots use (elements, double-quoted attributes, text,
 * the five predefined entities): throws on unbalanced or crossed tags, stray '<' or '&',
 * duplicate attributes, or anything after the root.
 */
export function parseXml(source: string): XmlElement {
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let match: RegExpExecArray | null;
  let position = 0;
  while (position < source.length) {
    token.lastIndex = position;
    match = token.exec(source);
    if (!match) throw new Error(`malformed XML at ${position}: ${source.slice(position, position + 40)}`);
    position = token.lastIndex;
    const [, closing, name, attributeText, selfClosing, text] = match;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in text: ${text}`);
      if (stack.length === 0) {
        if (text.trim() !== '') throw new Error(`text outside the root: ${text}`);
        continue;
      }
      stack[stack.length - 1].text += text;
      continue;
    }
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    if (root && stack.length === 0) throw new Error(`a second root <${name}>`);
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText.matchAll(/([A-Za-z][\w:.-]*)="([^"]*)"/g)) {
      if (key in attributes) throw new Error(`duplicate attribute ${key} on <${name}>`);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(value)) throw new Error(`bare & in ${key}="${value}"`);
      attributes[key] = value;
    }
    const element: XmlElement = { name, attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1].children.push(element);
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

export function all(element: XmlElement, test: (e: XmlElement) => boolean): XmlElement[] {
  return [...(test(element) ? [element] : []), ...element.children.flatMap((child) => all(child, test))];
}

export const byClass = (root: XmlElement, name: string) => all(root, (e) => (e.attributes.class ?? '').split(' ').includes(name));
export const number = (e: XmlElement, attribute: string) => Number(e.attributes[attribute]);

/** Parses, and checks what every plot must satisfy: an SVG root with xmlns and size, no NaN. */
export function checkSvg(svg: string): XmlElement {
  expect(svg).not.toMatch(/NaN|Infinity|undefined|null/);
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(number(root, 'width')).toBeGreaterThan(0);
  expect(number(root, 'height')).toBeGreaterThan(0);
  expect(root.attributes.viewBox).toBe(`0 0 ${root.attributes.width} ${root.attributes.height}`);
  for (const element of all(root, () => true)) {
    for (const [key, value] of Object.entries(element.attributes)) {
      if (['x', 'y', 'x1', 'y1', 'x2', 'y2', 'width', 'height', 'cx', 'cy', 'r'].includes(key)) {
        expect(Number.isFinite(Number(value))).toBe(true);
      }
    }
  }
  return root;
}

/** Indented XML for failure messages: one element per line, text inline, attributes as received. */
import { escapeAttr, escapeText, type Element } from '../core/xml.js';

/** `el` as indented XML (two spaces per level), prefixed with `indent`. */
export function prettyXml(el: Element, indent = ''): string {
  const attrs = Object.entries(el.attrs as Record<string, string | undefined>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`).join('');
  const kids = el.children.filter((c) => typeof c !== 'string' || c.trim() !== '');
  if (kids.length === 0) return `${indent}<${el.name}${attrs}/>`;
  if (kids.every((c) => typeof c === 'string')) return `${indent}<${el.name}${attrs}>${escapeText(kids.join('').trim())}</${el.name}>`;
  const inner = kids.map((c) => (typeof c === 'string' ? `${indent}  ${escapeText(c.trim())}` : prettyXml(c, `${indent}  `)));
  return [`${indent}<${el.name}${attrs}>`, ...inner, `${indent}</${el.name}>`].join('\n');
}

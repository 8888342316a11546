/**
 * @module http_file_share/range
 * Byte ranges (RFC 9110 §14): one `bytes=` range of a file of known size. Several ranges are
 * served as the whole file (§14.2 lets a server ignore Range).
 */

/** The range to send, 'unsatisfiable' (416), or undefined for the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i.exec(header.trim());
  if (!m) return undefined; // not a single bytes range: ignored (§14.2)
  const [first, last] = [m[1]!, m[2]!];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // §14.1.2 suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

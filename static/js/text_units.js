// Positions in a document's text: anchors (comments, suggestions) count characters (code
// points), CodeMirror counts UTF-16 units.
export function toUtf16(text, cp) {
  let units = 0,
    n = 0;
  for (const ch of text) {
    if (n >= cp) break;
    units += ch.length;
    n++;
  }
  return units;
}
export function codePoints(text, utf16) {
  return Array.from(text.slice(0, utf16)).length;
}

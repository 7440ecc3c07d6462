/**
 * Help text written in the source as it reads best there (lines of ~100 characters), shown as
 * oclif shows it best: oclif wraps every line at the terminal's width, so a hard line break in
 * the middle of a sentence leaves a ragged stub on the next line. `prose` joins the lines of
 * each paragraph into one; blank lines still separate paragraphs, and a line that starts with
 * spaces (a list item, a command) keeps its own line.
 */
export function prose(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, k) => out + s + (k < values.length ? String(values[k]) : ''), '');
  return reflow(text);
}

/** Joins the wrapped lines of every paragraph of `text` (see `prose`). */
export function reflow(text: string): string {
  return text
    .trim()
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.split('\n').reduce((out, line) => (out === '' ? line : /^\s/.test(line) ? `${out}\n${line}` : `${out} ${line.trim()}`), ''))
    .join('\n\n');
}

/**
 * Text for the terminal made harmless: device names, profile ids, file names and field values
 * come from input files, and a control character among them (an escape sequence, a carriage
 * return, a bidirectional override) would be obeyed by the terminal rather than shown. Such
 * characters are printed escaped (`\x1b`, `\u202e`); tab and newline stay as they are.
 */

/** C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidirectional controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Characters JSON.stringify leaves raw that a terminal may still obey. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON text with the characters above as \u escapes (the same JSON value, safe to print). */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line on stderr (diagnostics go there even with --json, so stdout stays clean), made printable. */
export function stderrLine(text: string): void {
  process.stderr.write(printable(text) + '\n');
}

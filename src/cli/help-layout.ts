/**
 * Help text laid out for the terminal it is read in: option descriptions wrapped at word
 * boundaries to the terminal's width, continuing under their own column, never broken mid-word
 * by the terminal. Piped output (no terminal) is laid out for COLUMNS, else 80 columns.
 */

const DEFAULT_WIDTH = 80;
/** Narrower than this and the description column would be a sliver: it goes under the label. */
const MIN_DESCRIPTION_WIDTH = 30;

/** The width to lay help out for. */
export function helpWidth(stream: { columns?: number } = process.stdout): number {
  const fromEnv = Number(process.env.COLUMNS);
  const width = stream.columns ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_WIDTH);
  return Math.max(40, width);
}

/** `text` split into lines of at most `width` characters at spaces (a longer word stands alone). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Two columns: each label, then its description wrapped beside it (or under it when narrow). */
export function twoColumns(rows: readonly [label: string, description: string][], width: number): string[] {
  const labelWidth = Math.max(...rows.map(([label]) => label.length), 12) + 2;
  const besideWidth = width - labelWidth;
  const out: string[] = [];
  for (const [label, description] of rows) {
    if (besideWidth >= MIN_DESCRIPTION_WIDTH) {
      const wrapped = wrapWords(description, besideWidth);
      out.push(`${label.padEnd(labelWidth)}${wrapped[0] ?? ''}`.trimEnd());
      for (const more of wrapped.slice(1)) out.push(`${' '.repeat(labelWidth)}${more}`);
    } else {
      const indent = '      ';
      out.push(label);
      for (const more of wrapWords(description, width - indent.length)) out.push(`${indent}${more}`);
    }
  }
  return out;
}

/**
 * Free text wrapped to `width`: a line that starts with spaces (an example command, a list
 * item) keeps its indent and wraps under it; blank lines stay.
 */
export function wrapParagraphs(text: string, width: number): string[] {
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [''];
    const indent = /^\s*/.exec(line)![0];
    const itemIndent = /^\s*(- |\d+\. )/.exec(line)?.[0].replace(/\S/g, ' ') ?? indent;
    const wrapped = wrapWords(line, width - itemIndent.length);
    return wrapped.map((part, i) => (i === 0 ? indent : itemIndent) + part);
  });
}

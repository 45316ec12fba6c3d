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
 * Free text wrapped to `width`. Consecutive plain lines are one paragraph (a line ending in ':'
 * ends one), so source line breaks do not show. An indented line is an example command: kept
 * as it is when it fits, else broken at spaces with a shell continuation (` \\`), so that it
 * still runs when copied. A list item (`- `) wraps under its text.
 */
export function wrapParagraphs(text: string, width: number): string[] {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) out.push(...wrapWords(paragraph.join(' '), width));
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      out.push('');
    } else if (/^\s/.test(line)) {
      flush();
      out.push(...wrapCommand(line, width));
    } else if (/^(- |\d+\. )/.test(line)) {
      flush();
      const hanging = ' '.repeat(/^(- |\d+\. )/.exec(line)![0].length);
      out.push(...wrapWords(line, width - hanging.length).map((part, i) => (i === 0 ? part : hanging + part)));
    } else {
      paragraph.push(line.trim());
      if (line.trimEnd().endsWith(':')) flush();
    }
  }
  flush();
  return out;
}

/** An indented command line, broken into shell continuation lines when it is too long. */
function wrapCommand(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^\s*/.exec(line)![0];
  const continuation = `${indent}  `;
  // Room for the trailing " \\" on every line but the last.
  const parts = wrapWords(line.trim(), width - continuation.length - 2);
  return parts.map((part, i) => `${i === 0 ? indent : continuation}${part}${i < parts.length - 1 ? ' \\' : ''}`);
}

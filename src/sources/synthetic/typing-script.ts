/** What the synthetic terminal types, line by line, looping forever. */
export const TYPING_SCRIPT: readonly string[] = [
  '$ screencap serve --source synthetic --vsync 60',
  'listening on 127.0.0.1:50051',
  '$ uname -a',
  'Linux desktop 6.1.0 #1 SMP x86_64 GNU/Linux',
  '$ ls ~/projects',
  'capture  notes.txt  recorder  viewer',
  '$ cat notes.txt',
  'frames are latched at vsync, only when damaged',
  'a static screen costs nothing',
  '$ date',
  '',
];

/**
 * What the terminal types, line after line: the script, with the output of `$ date` (the time
 * it was typed) inserted after it, looping forever.
 */
export class TypingScript {
  private scriptLine = 0;
  private pendingOutput: string[] = [];

  constructor(
    private readonly script: readonly string[] = TYPING_SCRIPT,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The line being typed now. */
  currentLine(): string {
    return this.pendingOutput[0] ?? this.script[this.scriptLine];
  }

  /** The current line has been typed out (Enter pressed): move on to the next. */
  endLine(): void {
    if (this.pendingOutput.length > 0) {
      // The line just finished was a command's output: the script goes on after the command.
      this.pendingOutput.shift();
      return;
    }
    if (this.script[this.scriptLine] === '$ date') this.pendingOutput.push(this.now().toString());
    this.scriptLine = (this.scriptLine + 1) % this.script.length;
  }
}

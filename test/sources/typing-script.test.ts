import { strict as assert } from 'node:assert';
import { TYPING_SCRIPT, TypingScript } from '../../src/sources/synthetic/typing-script';

describe('synthetic desktop: typing script', () => {
  it('types the script forever, with the output of `$ date` after it on every pass', () => {
    let calls = 0;
    const script = new TypingScript(TYPING_SCRIPT, () => new Date(Date.UTC(2026, 0, 1, 12, 0, calls++)));
    const typed: string[] = [];
    for (let i = 0; i < 3 * (TYPING_SCRIPT.length + 1); i++) {
      typed.push(script.currentLine());
      script.endLine();
    }
    const dateAt = TYPING_SCRIPT.indexOf('$ date');
    const expected = (pass: number): string[] => [
      ...TYPING_SCRIPT.slice(0, dateAt + 1),
      new Date(Date.UTC(2026, 0, 1, 12, 0, pass)).toString(),
      ...TYPING_SCRIPT.slice(dateAt + 1),
    ];
    assert.deepEqual(typed, [...expected(0), ...expected(1), ...expected(2)]);
  });
});

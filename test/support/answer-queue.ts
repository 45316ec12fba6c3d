/**
 * Answers that arrive on their own (a stream's messages), taken by a test one at a time: the
 * next one, waited for with a deadline, or whether any came.
 */
import { settle } from './fixture';

export class AnswerQueue<T> {
  private readonly answers: T[] = [];
  private waiter: ((answer: T) => void) | undefined;

  /** `where` names the stream in the timeout's message. */
  constructor(private readonly where: string) {}

  push(answer: T): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(answer);
    else this.answers.push(answer);
  }

  /** The next answer; fails the test if none comes within `ms`. */
  next(ms = 2000): Promise<T> {
    const ready = this.answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer on ${this.where} within ${ms} ms`)), ms);
      this.waiter = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
    });
  }

  /** Whether an answer came (or comes within `ms`). */
  async answered(ms = 100): Promise<boolean> {
    await settle(ms);
    return this.answers.length > 0;
  }
}

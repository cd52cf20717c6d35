// Incremental parser for the cohort of POST /v1/decisions:filter: a JSON array of subject ids,
// read chunk by chunk so that a 1,000,000-subject cohort is never held as one string or one array.
// Subject ids are plain ASCII (SUBJECT_ID_PATTERN) and never need escapes, so a string with a
// backslash or a character outside the pattern is simply an invalid id. Values are never echoed.
import { SUBJECT_ID_PATTERN } from '../../contracts/consent/primitives.js';
import type { Problem } from '../../contracts/consent/problems.js';

export class CohortSyntaxError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'CohortSyntaxError';
  }
}

type Mode = 'start' | 'first' | 'value' | 'string' | 'after' | 'done';
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class CohortParser {
  private mode: Mode = 'start';
  private partial = '';
  /** Index of the next element (= ids parsed so far). */
  count = 0;

  constructor(private readonly maxItems: number) {}

  /** Feed a chunk; returns the ids completed in it, validated. */
  push(chunk: Buffer | string): string[] {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      if (this.mode === 'string') {
        const end = s.indexOf('"', i);
        if (end < 0) {
          this.partial += s.slice(i);
          this.guardLength();
          return out;
        }
        out.push(this.complete(this.partial + s.slice(i, end)));
        this.partial = '';
        this.mode = 'after';
        i = end + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      i++;
      if (isSpace(c)) continue;
      switch (this.mode) {
        case 'start':
          if (c !== 0x5b /* [ */) this.fail('', 'must be a JSON array of subject ids');
          this.mode = 'first';
          break;
        case 'first':
          if (c === 0x5d /* ] */) {
            this.mode = 'done';
            break;
          }
          if (c !== 0x22 /* " */) this.fail(`/${this.count}`, 'must be a subject id string (sub_…)');
          this.mode = 'string';
          break;
        case 'value':
          if (c !== 0x22) this.fail(`/${this.count}`, 'must be a subject id string (sub_…)');
          this.mode = 'string';
          break;
        case 'after':
          if (c === 0x2c /* , */) {
            this.mode = 'value';
            break;
          }
          if (c === 0x5d) {
            this.mode = 'done';
            break;
          }
          this.fail(`/${this.count}`, 'expected "," or "]" after an array item');
          break;
        case 'done':
          this.fail('', 'unexpected content after the array');
      }
    }
    return out;
  }

  /** The body ended: it must have been one complete array. */
  end(): void {
    if (this.mode !== 'done')
      this.fail(this.mode === 'start' ? '' : `/${this.count}`, 'the body ended before the array was complete');
  }

  private complete(id: string): string {
    const index = this.count++;
    if (index >= this.maxItems) this.fail('', `at most ${this.maxItems} subjects per call`);
    if (!SUBJECT_ID_PATTERN.test(id))
      this.fail(`/${index}`, 'must be a subject id (sub_ followed by 16-64 characters of A-Z a-z 0-9 _ -)');
    return id;
  }

  private guardLength(): void {
    if (this.partial.length > 80)
      this.fail(`/${this.count}`, 'must be a subject id (sub_ followed by 16-64 characters of A-Z a-z 0-9 _ -)');
  }

  private fail(field: string, message: string): never {
    throw new CohortSyntaxError({ field, message });
  }
}

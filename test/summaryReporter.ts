// Prints one closing line in the plain form CI reads ("Tests: N passed, N failed, N skipped"), after
// vitest's own summary, and then each failed test by file and name with its error's first line: CI
// keeps only the tail of the output, which otherwise holds a stack trace without the test it came from.
// A run with zero tests executed is reported as such, never as a pass.
import { relative } from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

function firstLine(test: TestCase): string {
  const error = test.result().errors?.[0];
  return (error?.message ?? 'no error recorded').split('\n', 1)[0]?.slice(0, 300) ?? '';
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0,
      skipped = 0;
    const failures: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed')
          failures.push(`FAILED ${relative(process.cwd(), m.moduleId)} > ${t.fullName}: ${firstLine(t)}`);
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) {
        failures.push(
          `FAILED ${relative(process.cwd(), m.moduleId)}: did not load: ${m.errors()[0]?.message.split('\n')[0] ?? ''}`,
        );
      }
    }
    const failed = failures.length;
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    for (const line of failures) process.stdout.write(`${line}\n`);
  }
}

// Turning zod issues into "which field, what is wrong": a JSON Pointer (RFC 6901) into the
// submitted document and a message. Messages never contain submitted values (see primitives.ts),
// so a problem list is safe to log and to return as RFC 9457 problem details.
import type * as z from 'zod';

export interface Problem {
  /** JSON Pointer into the submitted JSON, e.g. "/data/scope/purposes/1"; "" is the whole document. */
  readonly field: string;
  readonly message: string;
}

type Segment = PropertyKey;

// A key that is not a plain field name could be anything a caller typed, an NHS number
// included; such keys are not echoed, not even inside a pointer.
const SAFE_KEY = /^(?!.*\d{6})[\x20-\x7E]{1,64}$/;
const WITHHELD = '(withheld)';

export function pointer(path: readonly Segment[]): string {
  return path
    .map((seg) => {
      const s = typeof seg === 'number' ? String(seg) : typeof seg === 'string' ? seg : WITHHELD;
      return `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    })
    .join('');
}

type Issue = z.core.$ZodIssue;

/** A union branch "matched" when it did not fail on the value's own type/literal at its root. */
function matchedBranches(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[][] {
  return issue.errors.filter(
    (branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')),
  );
}

export function issuesToProblems(issues: readonly Issue[], prefix: readonly Segment[] = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const safe = SAFE_KEY.test(key);
        out.push({
          field: pointer([...path, safe ? key : WITHHELD]),
          message: safe ? 'unknown field' : 'unknown field (name withheld)',
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // e.g. a scope dimension ("*" | list): if the value was a list, report the list's own
      // problems (".../purposes/1 invalid option") rather than "matches neither branch".
      const matched = matchedBranches(issue);
      if (matched.length === 1 && matched[0]) {
        out.push(...issuesToProblems(matched[0], path));
        continue;
      }
    }
    out.push({ field: pointer(path), message: issue.message });
  }
  return dedupe(out);
}

export function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.field}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// Synthetic NHS numbers (the 999 test range) with valid modulus-11 check digits, unique per run, so
// the privacy scan can search for exactly the numbers this suite used.
import { isValidNhsNumber } from '../../contracts/consent/primitives.js';

export function syntheticNhsNumbers(count: number, seed = Date.now()): string[] {
  const out: string[] = [];
  for (let n = seed % 1_000_000; out.length < count; n = (n + 7919) % 1_000_000) {
    const nine = `999${String(n).padStart(6, '0')}`;
    for (let d = 0; d <= 9; d++) {
      if (isValidNhsNumber(`${nine}${d}`)) {
        out.push(`${nine}${d}`);
        break;
      }
    }
  }
  return out;
}

/** A check-digit-invalid number from the same range. */
export function invalidNhsNumber(valid: string): string {
  const last = Number(valid[9]);
  return `${valid.slice(0, 9)}${(last + 1) % 10}`;
}

// Scope arithmetic: does a consent / opt-out / withdrawal cover a concrete request, and do two
// scopes overlap. Each dimension is "*" (every value, including values added to the vocabulary
// later) or a list; a scope covers a request only if it covers it in EVERY dimension.
import {
  ANY,
  SCOPE_DIMENSIONS,
  type DataCategory,
  type DataUserCategory,
  type Jurisdiction,
  type Purpose,
  type Scope,
} from './vocabulary.js';

/** One concrete use: a purpose, a data category, and the data user's category and jurisdiction. */
export interface ScopePoint {
  readonly purpose: Purpose;
  readonly dataCategory: DataCategory;
  readonly dataUserCategory: DataUserCategory;
  readonly jurisdiction: Jurisdiction;
}

type Dimension = typeof ANY | readonly string[];

function includes(dimension: Dimension, value: string): boolean {
  return dimension === ANY || dimension.includes(value);
}

function overlap(a: Dimension, b: Dimension): boolean {
  if (a === ANY || b === ANY) return true; // a list is never empty (ScopeSchema)
  return a.some((v) => b.includes(v));
}

/** True when `scope` covers `point` in every dimension. */
export function covers(scope: Scope, point: ScopePoint): boolean {
  return (
    includes(scope.purposes, point.purpose) &&
    includes(scope.dataCategories, point.dataCategory) &&
    includes(scope.dataUserCategories, point.dataUserCategory) &&
    includes(scope.jurisdictions, point.jurisdiction)
  );
}

/** True when some concrete use is covered by both scopes. */
export function intersects(a: Scope, b: Scope): boolean {
  return SCOPE_DIMENSIONS.every((d) => overlap(a[d], b[d]));
}

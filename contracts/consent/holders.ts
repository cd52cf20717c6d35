// Who must be told when a person refuses: the data users holding a withdrawn subject's data, and the
// releases recorded after a refusal. Pure: no I/O, no clock. Withdrawal propagation, the dispatcher
// and the auditor's report call these and nothing else.
//
// The rule (DESIGN, "Holders of a withdrawn subject"): every data user with a recorded release of the
// subject within the withdrawn scope gets a revocation notice, whatever the release's occurredAt — a
// paper withdrawal dated last week must still reach the data user that received the data yesterday,
// and a clock skew of half a second must not decide who is told. LEDGER order, not occurredAt, splits
// the duty in two, so every such release is answered exactly once:
//  - recorded BEFORE the withdrawal: its data user is one of the withdrawal's holders
//    (`holdersWithin` up to the withdrawal's position), notified by the withdrawal's propagation;
//  - recorded AFTER a withdrawal or a national opt-out that covers it, while that refusal still stood
//    (the decision, as recorded then, did not permit the release): a *release after refusal*
//    (`releaseAfterRefusal`), a violation by the releasing organisation. It gets its own notice to
//    that data user under the same SLA, and the auditor's report lists it.
// A release recorded after a withdrawal that the ledger permitted when it was recorded (the person
// consented again and that consent was effective) is neither: the data user holds it lawfully, and a
// later withdrawal counts it among its holders.
//
// A data user the registry does not know (`profile` → undefined) is taken as every category and
// jurisdiction: failing closed means one notice too many rather than one missing.
import type { SubjectRecord, SubjectState, Fact } from './fold.js';
import { foldEvents } from './fold.js';
import { consentDecision } from './decide.js';
import type { EventOf } from './events.js';
import { comparePosition, type EventPosition } from './order.js';
import type { PolicySet } from './policy.js';
import { covers, type ScopePoint } from './scope.js';
import {
  DATA_USER_CATEGORIES,
  JURISDICTIONS,
  type DataUserCategory,
  type Jurisdiction,
  type Scope,
} from './vocabulary.js';

/** What the rule needs to know of a data user: its category and jurisdiction. */
export interface HolderProfile {
  readonly category: DataUserCategory;
  readonly jurisdiction: Jurisdiction;
}
export type ProfileOf = (dataUserId: string) => HolderProfile | undefined;

type ReleaseRecord = SubjectRecord & { readonly event: EventOf<'release.recorded'> };

const isRelease = (r: SubjectRecord): r is ReleaseRecord => r.event.type === 'release.recorded';

/** The concrete uses a release made possible (every category and jurisdiction for an unknown data user). */
function releasePoints(r: ReleaseRecord, profile: ProfileOf): ScopePoint[] {
  const { purpose, dataCategories, dataUserId } = r.event.data;
  const p = profile(dataUserId);
  const users = p ? [p.category] : DATA_USER_CATEGORIES;
  const places = p ? [p.jurisdiction] : JURISDICTIONS;
  return dataCategories.flatMap((dataCategory) =>
    users.flatMap((dataUserCategory) =>
      places.map((jurisdiction) => ({ purpose, dataCategory, dataUserCategory, jurisdiction })),
    ),
  );
}

/** Whether a release is within `scope`: some use it made possible is covered. */
export function releaseWithin(r: ReleaseRecord, scope: Scope, profile: ProfileOf): boolean {
  return releasePoints(r, profile).some((point) => covers(scope, point));
}

/**
 * The data users with a release of the subject within `scope` recorded before `recordedBefore`
 * (a ledger position; every release when undefined) — whom a withdrawal of that scope at that
 * position must reach. Sorted, each once.
 */
export function holdersWithin(
  state: SubjectState,
  scope: Scope,
  profile: ProfileOf,
  recordedBefore?: EventPosition,
): string[] {
  const holders = new Set<string>();
  for (const r of state.records) {
    if (!isRelease(r)) continue;
    if (recordedBefore !== undefined && comparePosition(r.position, recordedBefore) >= 0) continue;
    if (releaseWithin(r, scope, profile)) holders.add(r.event.data.dataUserId);
  }
  return [...holders].sort();
}

/** A release recorded while a withdrawal or national opt-out covering it stood. */
export interface ReleaseAfterRefusal {
  readonly release: {
    readonly eventId: string;
    readonly releaseId: string;
    readonly dataUserId: string;
    /** The releasing organisation (the release event's `source`). */
    readonly releasedBy: string;
    readonly occurredAt: string;
    readonly recordedAt: string;
    readonly position: EventPosition;
  };
  /** The refusal it broke: the one the decision named, else the newest covering one (fold order). */
  readonly refusal: {
    readonly eventId: string;
    readonly kind: 'withdrawal' | 'national-opt-out';
    /** The organisation that recorded the refusal (it may follow the notice's status). */
    readonly recordedBy: string;
    readonly occurredAt: string;
    readonly scope: Scope;
    readonly position: EventPosition;
  };
}

type Refusal = Extract<Fact, { kind: 'withdrawal' | 'opt-out' }>;

/** Withdrawals, and national opt-outs not revoked, that cover `point`, in fold order. */
function refusalsCovering(state: SubjectState, point: ScopePoint): Refusal[] {
  return state.facts.filter(
    (f): f is Refusal =>
      (f.kind === 'withdrawal' || (f.kind === 'opt-out' && f.national && !f.revoked)) && covers(f.scope, point),
  );
}

/**
 * Whether the release `releaseEventId` was recorded after a refusal covering it (see the rule above):
 * the subject's state as recorded just before the release, and the decision taken on it at the
 * release's recording time for each use the release made possible. Only the records before the
 * release count, so the answer does not depend on how far the state has moved on since.
 */
export function releaseAfterRefusal(
  state: SubjectState,
  releaseEventId: string,
  profile: ProfileOf,
  policies: PolicySet,
): ReleaseAfterRefusal | undefined {
  const release = state.records.find((r): r is ReleaseRecord => isRelease(r) && r.event.id === releaseEventId);
  if (!release) return undefined;
  const earlier = state.records.filter((r) => comparePosition(r.position, release.position) < 0);
  if (!earlier.some((r) => r.event.type === 'consent.withdrawn' || r.event.type === 'optout.registered'))
    return undefined;
  const before = foldEvents(earlier);
  for (const point of releasePoints(release, profile)) {
    const refusals = refusalsCovering(before, point);
    if (refusals.length === 0) continue;
    const decision = consentDecision(before, point, policies, release.event.time);
    if (decision.decision === 'permit') continue;
    const named = refusals.find((f) => decision.eventIds.includes(f.eventId)) ?? refusals[refusals.length - 1]!;
    return { release: releaseOf(release), refusal: refusalOf(named, state) };
  }
  return undefined;
}

/** Every release after refusal of the subject, in ledger order. */
export function releasesAfterRefusal(
  state: SubjectState,
  profile: ProfileOf,
  policies: PolicySet,
): ReleaseAfterRefusal[] {
  return state.records
    .filter(isRelease)
    .sort((a, b) => comparePosition(a.position, b.position))
    .flatMap((r) => releaseAfterRefusal(state, r.event.id, profile, policies) ?? []);
}

function releaseOf(r: ReleaseRecord): ReleaseAfterRefusal['release'] {
  const e = r.event;
  return {
    eventId: e.id,
    releaseId: e.data.releaseId,
    dataUserId: e.data.dataUserId,
    releasedBy: e.source,
    occurredAt: e.data.occurredAt,
    recordedAt: e.time,
    position: r.position,
  };
}

function refusalOf(f: Refusal, state: SubjectState): ReleaseAfterRefusal['refusal'] {
  const source = state.records.find((r) => r.event.id === f.eventId)?.event.source ?? '';
  return {
    eventId: f.eventId,
    kind: f.kind === 'withdrawal' ? 'withdrawal' : 'national-opt-out',
    recordedBy: source,
    occurredAt: f.occurredAt,
    scope: f.scope,
    position: f.position,
  };
}

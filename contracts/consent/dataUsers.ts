// The data-user registry's fold: dataUser.registered / dataUser.approved → what decide() and
// withdrawal propagation know of a data user. Pure, like fold.ts; the projector stores its result and
// the auditor's replay recomputes it. Re-applying an event (same id) changes nothing.
import type { EventOf, LedgerEvent } from './events.js';
import type { DataUserContext } from './decide.js';

export type DataUserEvent = EventOf<'dataUser.registered' | 'dataUser.approved'>;

export interface DataUserRecord extends DataUserContext {
  readonly name: string;
  readonly registeredAt: string;
  /** Ids of the events folded in, oldest first (for idempotency and audit). */
  readonly eventIds: readonly string[];
}

export function isDataUserEvent(event: LedgerEvent): event is DataUserEvent {
  return event.type === 'dataUser.registered' || event.type === 'dataUser.approved';
}

/**
 * Apply one registry event. `undefined` is "not registered". An approval for a data user that is not
 * registered yet is ignored (returns undefined): registration must come first, and the registry
 * service never writes one without the other. A second registration of the same id replaces name,
 * category and jurisdiction and keeps earlier approvals (a re-registration corrects details; it does
 * not silently revoke approvals — those end by their own expiry).
 */
export function evolveDataUser(state: DataUserRecord | undefined, event: DataUserEvent): DataUserRecord | undefined {
  if (state?.eventIds.includes(event.id)) return state;
  switch (event.type) {
    case 'dataUser.registered': {
      const d = event.data;
      return {
        id: d.dataUserId,
        name: d.name,
        category: d.category,
        jurisdiction: d.jurisdiction,
        approvals: [...(state?.approvals ?? []), ...d.approvals],
        registeredAt: state?.registeredAt ?? d.occurredAt,
        eventIds: [...(state?.eventIds ?? []), event.id],
      };
    }
    case 'dataUser.approved':
      if (!state) return undefined;
      return {
        ...state,
        approvals: [...state.approvals, ...event.data.approvals],
        eventIds: [...state.eventIds, event.id],
      };
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

import { describe, expect, expectTypeOf, it } from 'vitest';
import { EXAMPLE_EVENTS } from './examples.js';
import {
  CURRENT_VERSION,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  INCOMING_EVENT_TYPES,
  LedgerEventSchema,
  isEventType,
  isIncomingEventType,
  type ConsentGiven,
  type EventType,
  type IncomingEvent,
  type LedgerEvent,
} from './events.js';

/** The pattern every fold uses: a switch that fails to compile when a type is forgotten. */
function describeEvent(e: LedgerEvent): string {
  switch (e.type) {
    case 'consent.given':
    case 'consent.withdrawn':
    case 'optout.registered':
      return `scope:${String(e.data.scope.purposes)}`;
    case 'consent.effective':
    case 'consent.reconfirmed':
    case 'consent.lapsed':
    case 'consent.cancelled':
    case 'consent.expired':
      return `consent:${e.data.consentId}`;
    case 'optout.revoked':
      return `optout:${e.data.optOutId}`;
    case 'revocation.sent':
    case 'revocation.acknowledged':
    case 'revocation.overdue':
      return `notice:${e.data.noticeId}`;
    case 'withdrawal.completed':
      return `completed:${e.data.dataUserIds.length}`;
    case 'dataUser.registered':
    case 'dataUser.approved':
      return `du:${e.data.dataUserId}`;
    case 'release.recorded':
      return `release:${e.data.releaseId}`;
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}

describe('event union', () => {
  it('is discriminated on type, exhaustively', () => {
    expect(EVENT_TYPES.map((t) => describeEvent(EXAMPLE_EVENTS[t]))).toHaveLength(EVENT_TYPES.length);
    expectTypeOf<LedgerEvent['type']>().toEqualTypeOf<EventType>();
    expectTypeOf<ConsentGiven['data']['validUntil']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ConsentGiven['dataversion']>().toEqualTypeOf<2>();
    expectTypeOf<IncomingEvent['type']>().toEqualTypeOf<(typeof INCOMING_EVENT_TYPES)[number]>();
  });

  it('has a schema and a current version for each type, and nothing else', () => {
    expect(Object.keys(EVENT_SCHEMAS)).toEqual(EVENT_TYPES);
    expect(EVENT_TYPES).toHaveLength(16);
    expect(EVENT_TYPES.every((t) => Number.isInteger(CURRENT_VERSION[t]) && CURRENT_VERSION[t] >= 1)).toBe(true);
  });

  it('LedgerEventSchema (for docs and zod-openapi) accepts every example', () => {
    for (const t of EVENT_TYPES) expect(LedgerEventSchema.safeParse(EXAMPLE_EVENTS[t]).success).toBe(true);
  });

  it('only person-facing types are accepted from callers', () => {
    expect(INCOMING_EVENT_TYPES.every(isEventType)).toBe(true);
    expect(
      [
        'consent.effective',
        'consent.lapsed',
        'consent.expired',
        'revocation.sent',
        'withdrawal.completed',
        'dataUser.registered',
      ].some(isIncomingEventType),
    ).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });
});

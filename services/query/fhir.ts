// A subject's state as HL7 FHIR R4 Consent resources (a `collection` Bundle), for export.
//
// - One Consent per consent fact: scope `research`, policyRule OPTIN, status from the fact's status
//   (effective → active; pending / awaiting-reconfirmation → proposed; cancelled / lapsed → rejected,
//   the person or the process turned it down before it took effect; expired → inactive).
//   Its provision is `permit` over the consent's scope; every withdrawal that overlaps it is a nested
//   `deny` provision with the withdrawal's scope, starting when it was expressed.
// - One Consent per opt-out: scope `patient-privacy`, policyRule OPTOUT, provision `deny`; active
//   unless revoked (inactive). A national opt-out is a deny with no restriction at all.
// Scope dimensions map to provision elements: purposes → purpose (our code + DUO), data categories
// → class, data-user categories → actor (recipient), jurisdictions → an extension (FHIR R4 has no
// element for where a recipient sits). A "*" dimension is left out: no restriction.
// The patient is referenced only by the pseudonymous subject id; nothing else identifies anyone.
import type { ConsentFact, OptOutFact, SubjectState, WithdrawalFact } from '../../contracts/consent/fold.js';
import { ANY, PURPOSE_DUO, type Scope } from '../../contracts/consent/vocabulary.js';
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** The export's shape for OpenAPI and the tests (FHIR's own validation is HAPI's: test/fhir). */
export const FhirBundle = z
  .object({
    resourceType: z.literal('Bundle'),
    type: z.literal('collection'),
    timestamp: z.string(),
    entry: z.array(
      z.object({
        fullUrl: z.string(),
        resource: z.object({ resourceType: z.literal('Consent') }).catchall(z.unknown()),
      }),
    ),
  })
  .catchall(z.unknown())
  .meta({ id: 'FhirBundle', description: 'An HL7 FHIR R4 Bundle (type collection) of Consent resources' });

const SYS = {
  subject: 'urn:consent-ledger:subject',
  event: 'urn:consent-ledger:event-id',
  purpose: 'urn:consent-ledger:purpose',
  dataCategory: 'urn:consent-ledger:data-category',
  dataUserCategory: 'urn:consent-ledger:data-user-category',
  jurisdiction: 'urn:consent-ledger:fhir:StructureDefinition/jurisdiction',
  duo: 'http://purl.obolibrary.org/obo/duo.owl',
  scope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  participation: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  loinc: 'http://loinc.org',
} as const;

type Json = Record<string, unknown>;

/** FHIR ids are [A-Za-z0-9-.]{1,64}; event ids may hold ':' and '_', so the id is a digest (the event id is the identifier). */
const fhirId = (eventId: string) => `ev-${createHash('sha256').update(eventId).digest('hex').slice(0, 40)}`;

function provisionScope(scope: Scope): Json {
  const out: Json = {};
  if (scope.purposes !== ANY) {
    out.purpose = scope.purposes.flatMap((p) => [
      { system: SYS.purpose, code: p },
      ...PURPOSE_DUO[p].permissions.map((code) => ({ system: SYS.duo, code })),
    ]);
  }
  if (scope.dataCategories !== ANY)
    out.class = scope.dataCategories.map((c) => ({ system: SYS.dataCategory, code: c }));
  if (scope.dataUserCategories !== ANY) {
    out.actor = scope.dataUserCategories.map((c) => ({
      role: { coding: [{ system: SYS.participation, code: 'IRCP', display: 'information recipient' }] },
      reference: { identifier: { system: SYS.dataUserCategory, value: c }, display: `${c} data users` },
    }));
  }
  if (scope.jurisdictions !== ANY)
    out.extension = scope.jurisdictions.map((j) => ({ url: SYS.jurisdiction, valueCode: j }));
  return out;
}

const CONSENT_STATUS: Record<ConsentFact['status'], string> = {
  effective: 'active',
  'cooling-off': 'proposed',
  'awaiting-reconfirmation': 'proposed',
  cancelled: 'rejected',
  lapsed: 'rejected',
  expired: 'inactive',
};

function base(eventId: string, subject: string, recordedAt: string, scopeCode: string, rule: string): Json {
  return {
    resourceType: 'Consent',
    id: fhirId(eventId),
    identifier: [{ system: SYS.event, value: eventId }],
    scope: { coding: [{ system: SYS.scope, code: scopeCode }] },
    category: [{ coding: [{ system: SYS.loinc, code: '59284-0', display: 'Patient Consent' }] }],
    patient: { identifier: { system: SYS.subject, value: subject } },
    dateTime: recordedAt,
    policyRule: { coding: [{ system: SYS.actCode, code: rule }] },
  };
}

function consentResource(c: ConsentFact, subject: string, withdrawals: ReadonlyMap<string, WithdrawalFact>): Json {
  const start = c.effective?.occurredAt ?? c.occurredAt;
  const end = c.ended?.occurredAt ?? c.validUntil;
  const denies = c.withdrawnBy.flatMap((id) => {
    const w = withdrawals.get(id);
    return w ? [{ type: 'deny', period: { start: w.occurredAt }, ...provisionScope(w.scope) }] : [];
  });
  return {
    ...base(c.eventId, subject, c.recordedAt, 'research', 'OPTIN'),
    status: CONSENT_STATUS[c.status],
    provision: {
      type: 'permit',
      period: { start, ...(end !== undefined && { end }) },
      ...provisionScope(c.scope),
      ...(denies.length > 0 && { provision: denies }),
    },
  };
}

function optOutResource(o: OptOutFact, subject: string): Json {
  return {
    ...base(o.eventId, subject, o.recordedAt, 'patient-privacy', 'OPTOUT'),
    status: o.revoked ? 'inactive' : 'active',
    provision: {
      type: 'deny',
      period: { start: o.occurredAt, ...(o.revoked && { end: o.revoked.occurredAt }) },
      ...(o.national ? {} : provisionScope(o.scope)),
    },
  };
}

function withdrawalResource(w: WithdrawalFact, subject: string): Json {
  return {
    ...base(w.eventId, subject, w.recordedAt, 'research', 'OPTOUT'),
    status: 'active',
    provision: { type: 'deny', period: { start: w.occurredAt }, ...provisionScope(w.scope) },
  };
}

const escapeXhtml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A generated narrative (FHIR dom-6: a resource should have one): the resource's own facts in words, no identifiers. */
function withNarrative(r: Json): Json {
  const provision = r.provision as {
    type: string;
    period: { start: string; end?: string };
    purpose?: { system: string; code: string }[];
  };
  const rule = (r.policyRule as { coding: { code: string }[] }).coding[0]!.code;
  const purposes = (provision.purpose ?? []).filter((p) => p.system === SYS.purpose).map((p) => p.code);
  const words =
    `${rule === 'OPTIN' ? 'Consent' : 'Refusal'} (${String(r.status)}): ${provision.type} for ` +
    `${purposes.length > 0 ? purposes.join(', ') : 'any purpose'}, from ${provision.period.start}` +
    (provision.period.end !== undefined ? ` to ${provision.period.end}` : '');
  return {
    ...r,
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXhtml(words)}</div>` },
  };
}

export function fhirConsents(state: SubjectState): Json[] {
  const subject = state.subject ?? '';
  const withdrawals = new Map(state.facts.flatMap((f) => (f.kind === 'withdrawal' ? [[f.eventId, f] as const] : [])));
  const referenced = new Set(state.facts.flatMap((f) => (f.kind === 'consent' ? f.withdrawnBy : [])));
  return state.facts.flatMap((f): Json[] => {
    switch (f.kind) {
      case 'consent':
        return [consentResource(f, subject, withdrawals)];
      case 'opt-out':
        return [optOutResource(f, subject)];
      // Carried as deny provisions inside the consents it overlaps; a withdrawal that overlaps none
      // (e.g. recorded before any consent) stands alone as a deny.
      case 'withdrawal':
        return referenced.has(f.eventId) ? [] : [withdrawalResource(f, subject)];
      default: {
        const _never: never = f;
        return _never;
      }
    }
  });
}

export function fhirBundle(state: SubjectState, now: string): Json {
  const resources = fhirConsents(state).map(withNarrative);
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: now,
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${uuidFrom(String(resource.id))}`, resource })),
  };
}

/** A stable UUID-shaped value for a Bundle entry's fullUrl. */
function uuidFrom(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// A consent receipt for the person, modelled on the Kantara Consent Receipt v1.1 (the basis of
// ISO/IEC TS 27560): who recorded it, for which purposes and data, when and how it was collected,
// and how to withdraw. The principal is the pseudonym: the receipt names no one.
//
// Honest name: it is NOT a conformant Kantara v1.1 receipt. The ledger holds no controller contact
// details (Kantara's required piiControllers[].contact/address/email/phone) and no policy URL
// (policyUrl), and it has no purpose categories of Kantara's list; `profile` says so, instead of a
// claim of conformance. Its fields keep Kantara's names where they mean the same thing.
import * as z from 'zod';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { PURPOSES, DATA_CATEGORIES, JURISDICTIONS, type Scope } from '../../contracts/consent/vocabulary.js';
import type { LedgerPosition } from '../../ledger/writer.js';

export const RECEIPT_PROFILE =
  'consent-ledger receipt 1, after Kantara Consent Receipt v1.1 (not conformant: no controller contact details or policy URL)';

const ts = z.string().meta({ format: 'date-time' });
export const ConsentReceipt = z
  .object({
    profile: z.literal(RECEIPT_PROFILE),
    consentReceiptID: z.string(),
    jurisdictions: z.array(z.string()).meta({ description: 'Where the data may be used (the scope)' }),
    consentTimestamp: z.number().int().meta({ description: 'When the person expressed it (Unix seconds)' }),
    recordedAt: ts,
    collectionMethod: z.string(),
    language: z.string(),
    piiPrincipalId: z.string().meta({ description: 'The pseudonymous subject id' }),
    piiControllers: z.array(
      z.object({
        piiController: z.string().meta({ description: 'The organisation that recorded it (its source id)' }),
        onBehalf: z.boolean(),
      }),
    ),
    policyVersion: z.string().nullable(),
    eventType: z.string(),
    services: z.array(
      z.object({
        service: z.string(),
        purposes: z.array(
          z.object({
            purpose: z.string(),
            consentType: z.string(),
            piiCategory: z.array(z.string()),
            primaryPurpose: z.boolean(),
            termination: z.string(),
            thirdPartyDisclosure: z.boolean(),
            thirdPartyCategories: z.array(z.string()),
          }),
        ),
      }),
    ),
    sensitive: z.boolean(),
    spiCat: z.array(z.string()),
    withdrawal: z.string(),
    ledgerProof: z.object({
      topic: z.string(),
      partition: z.number().int(),
      offset: z.string(),
      hash: z.string(),
    }),
  })
  .meta({ id: 'ConsentReceipt', description: 'The receipt for the person (see `profile`)' });
export type ConsentReceipt = z.infer<typeof ConsentReceipt>;

const expand = <T extends string>(v: readonly T[] | '*', all: readonly T[]): T[] => (v === '*' ? [...all] : [...v]);

const CONSENT_TYPE: Partial<Record<LedgerEvent['type'], string>> = {
  'consent.given': 'EXPRESSED',
  'consent.reconfirmed': 'EXPRESSED',
  'consent.withdrawn': 'WITHDRAWN',
  'consent.cancelled': 'WITHDRAWN',
  'optout.registered': 'OPT-OUT',
  'optout.revoked': 'OPT-OUT-REVOKED',
};

export function consentReceipt(event: LedgerEvent, position: LedgerPosition, withdrawHow: string): ConsentReceipt {
  const data = event.data as {
    scope?: Scope;
    capture?: { channel: string; setting: string };
    channel?: string;
    validUntil?: string;
    policyVersion?: string;
  };
  const scope = data.scope;
  const purposes = scope ? expand(scope.purposes, PURPOSES) : [];
  const categories = scope ? expand(scope.dataCategories, DATA_CATEGORIES) : [];
  return {
    profile: RECEIPT_PROFILE,
    consentReceiptID: `cr:${event.id}`,
    jurisdictions: scope ? expand(scope.jurisdictions, JURISDICTIONS) : [],
    consentTimestamp: Math.floor(Date.parse(event.data.occurredAt) / 1000),
    recordedAt: event.recordedtime,
    collectionMethod: data.capture
      ? `${data.capture.channel} (${data.capture.setting})`
      : (data.channel ?? 'unspecified'),
    language: 'en',
    piiPrincipalId: event.subject,
    piiControllers: [{ piiController: event.source, onBehalf: false }],
    policyVersion: data.policyVersion ?? null,
    eventType: event.type,
    services: [
      {
        service: 'Use of health data for research and AI',
        purposes: purposes.map((purpose) => ({
          purpose,
          consentType: CONSENT_TYPE[event.type] ?? 'EXPRESSED',
          piiCategory: categories,
          primaryPurpose: false,
          termination: data.validUntil ?? 'until withdrawn',
          thirdPartyDisclosure: true,
          thirdPartyCategories: scope
            ? expand(scope.dataUserCategories, ['nhs', 'academic', 'commercial'] as const)
            : [],
        })),
      },
    ],
    sensitive: true,
    spiCat: ['health'],
    withdrawal: withdrawHow,
    ledgerProof: {
      topic: position.topic,
      partition: position.partition,
      offset: position.offset,
      hash: `sha256:${position.hash}`,
    },
  };
}

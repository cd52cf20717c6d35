// A consent receipt for the person, in the shape of the Kantara Consent Receipt v1.1 (the basis of
// ISO/IEC TS 27560): who holds the record (controller), for which purposes and data, when and how it
// was collected, and how to withdraw. The principal is the pseudonym: the receipt names no one.
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { PURPOSES, DATA_CATEGORIES, JURISDICTIONS, type Scope } from '../../contracts/consent/vocabulary.js';
import type { LedgerPosition } from '../../ledger/writer.js';

const expand = <T extends string>(v: readonly T[] | '*', all: readonly T[]): T[] => (v === '*' ? [...all] : [...v]);

const CONSENT_TYPE: Partial<Record<LedgerEvent['type'], string>> = {
  'consent.given': 'EXPRESSED',
  'consent.reconfirmed': 'EXPRESSED',
  'consent.withdrawn': 'WITHDRAWN',
  'consent.cancelled': 'WITHDRAWN',
  'optout.registered': 'OPT-OUT',
  'optout.revoked': 'OPT-OUT-REVOKED',
};

export function consentReceipt(event: LedgerEvent, position: LedgerPosition, withdrawHow: string) {
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
    version: 'KI-CR-v1.1.0',
    standard: 'ISO/IEC TS 27560:2023 (Kantara Consent Receipt v1.1 shape)',
    consentReceiptID: `cr:${event.id}`,
    jurisdiction: scope ? expand(scope.jurisdictions, JURISDICTIONS).join(',') : 'uk',
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
          thirdPartyName: scope
            ? expand(scope.dataUserCategories, ['nhs', 'academic', 'commercial'] as const).join(',')
            : '',
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

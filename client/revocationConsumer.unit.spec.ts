// Decoding revocation-topic records as the worker writes them (contracts/topicEvents.ts, structured-mode
// headers of contracts/topics.ts), through the CloudEvents SDK's Kafka binding.
import { describe, expect, it } from 'vitest';
import { revocationNoticeEvent, type RevocationNotice as ContractNotice } from '../contracts/topicEvents.js';
import { structuredModeHeaders } from '../contracts/topics.js';
import type { RevocationNotice } from './apis.js';
import { decodeNotice, NOTICE_DATASCHEMA, UnreadableNotice } from './revocationConsumer.js';

const notice: RevocationNotice = {
  noticeId: 'ntc.w1.du_uni',
  withdrawalId: 'w1',
  subject: 'sub_abc',
  dataUserId: 'du_uni',
  scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
  withdrawnAt: '2026-11-20T10:00:00.000Z',
  sentAt: '2026-11-20T10:00:01.000Z',
  dueBy: '2026-12-20T10:00:01.000Z',
  acknowledgePath: '/v1/revocations/ntc.w1.du_uni/acknowledgement',
};
// The generated type and the contract's are the same model: each is assignable to the other.
const asContract: ContractNotice = notice;
const _back: RevocationNotice = asContract;
const record = (event: object, key = 'du_uni', headers: Record<string, string> = structuredModeHeaders()) => ({
  key: Buffer.from(key),
  value: Buffer.from(JSON.stringify(event)),
  headers,
});

describe('decodeNotice', () => {
  it('reads a record as the worker writes it into the typed notice', () => {
    const event = revocationNoticeEvent(asContract);
    expect(event.dataschema).toBe(NOTICE_DATASCHEMA);
    const decoded: ContractNotice | undefined = decodeNotice(record(event), 'du_uni');
    expect(decoded).toEqual(notice);
  });

  it("skips another data user's notice", () => {
    expect(decodeNotice(record(revocationNoticeEvent({ ...notice, dataUserId: 'du_co' }), 'du_co'), 'du_uni')).toBe(
      undefined,
    );
  });

  it('refuses what it cannot read rather than skipping it: another schema version, no content-type, no noticeId', () => {
    const event = revocationNoticeEvent(notice);
    const v2 = { ...event, dataschema: 'urn:consent-ledger:data:revocation.notice:v2' };
    expect(() => decodeNotice(record(v2), 'du_uni')).toThrow(UnreadableNotice);
    expect(() => decodeNotice(record(event, 'du_uni', {}), 'du_uni')).toThrow(UnreadableNotice);
    const { noticeId: _n, ...withoutId } = notice;
    expect(() => decodeNotice(record({ ...event, data: withoutId }), 'du_uni')).toThrow('without noticeId');
  });
});

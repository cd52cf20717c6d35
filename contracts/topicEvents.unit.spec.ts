import { describe, expect, it } from 'vitest';
import {
  DecisionEventSchema,
  FilterEventSchema,
  RevocationNoticeEventSchema,
  decisionLogEvent,
  revocationNoticeEvent,
} from './topicEvents.js';

const notice = {
  noticeId: 'ntc.w1.du_uni-example',
  withdrawalId: 'w1',
  subject: 'sub_Q2hhcmxvdHRlLUV4YW1wbGU',
  dataUserId: 'du_uni-example',
  scope: { purposes: '*', dataCategories: '*', dataUserCategories: '*', jurisdictions: '*' },
  withdrawnAt: '2026-03-01T09:00:00Z',
  sentAt: '2026-03-01T10:00:00Z',
  dueBy: '2026-03-31T10:00:00Z',
  acknowledgePath: '/v1/revocations/ntc.w1.du_uni-example/acknowledgement',
} as const;

describe('CloudEvents on the revocations and decisions topics', () => {
  it('a revocation notice is a CloudEvent: id = noticeId, subject = the pseudonym, a dataschema', () => {
    const e = revocationNoticeEvent(notice);
    expect(RevocationNoticeEventSchema.parse(e)).toEqual(e);
    expect(e).toMatchObject({
      specversion: '1.0',
      id: notice.noticeId,
      subject: notice.subject,
      time: notice.sentAt,
      type: 'revocation.notice',
      dataschema: 'urn:consent-ledger:data:revocation.notice:v1',
      data: notice,
    });
  });

  it('decisions and cohort filters are CloudEvents of their own types', () => {
    const d = decisionLogEvent({
      kind: 'decision',
      decisionId: 'dec-1',
      at: '2026-03-01T10:00:00Z',
      dataUserId: 'du_uni-example',
      subject: notice.subject,
      purpose: 'research',
      dataCategory: 'ehr',
      decision: 'permit',
      reasons: ['consent-effective'],
      eventIds: ['e1'],
      policyVersion: '2026-01',
    });
    expect(DecisionEventSchema.parse(d)).toEqual(d);
    expect(d).toMatchObject({ id: 'dec-1', type: 'decision.recorded', subject: notice.subject });
    const f = decisionLogEvent({
      kind: 'filter',
      decisionId: 'flt-1',
      at: '2026-03-01T10:00:00Z',
      dataUserId: 'du_uni-example',
      purpose: 'research',
      dataCategory: 'ehr',
      cohortSize: 2,
      permitted: 1,
      denied: 1,
      cohortSha256: 'ab',
      policyVersion: '2026-01',
      ledgerMarks: { '0': '12' },
    });
    expect(FilterEventSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({ type: 'cohort.filtered', subject: 'du_uni-example' });
  });
});

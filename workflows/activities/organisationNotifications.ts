// Outbound notifications to the emitting organisation (reconfirmation reminders, re-consent prompts):
// an outbox collection the organisation's integration reads (or a relay forwards), one document per
// notification id, so a retried activity never sends one twice. Pseudonym only, no personal data.
import type { Collection, Db } from '../../adapters/mongo.js';

export type NotificationKind = 'reconfirmation-reminder' | 're-consent-prompt' | 'person-reconfirmation-reminder';

export interface OrganisationNotification {
  _id: string;
  organisation: string;
  kind: NotificationKind;
  subject: string;
  consentId: string;
  /** Reconfirm by / expires at. */
  dueBy: string;
  createdAt: string;
}

export class OrganisationNotifications {
  readonly col: Collection<OrganisationNotification>;
  constructor(db: Db) {
    this.col = db.collection<OrganisationNotification>('organisation_notifications');
  }

  /** true when it was new. */
  async notify(n: OrganisationNotification): Promise<boolean> {
    const r = await this.col.updateOne({ _id: n._id }, { $setOnInsert: n }, { upsert: true });
    return r.upsertedCount === 1;
  }

  forOrganisation(organisation: string): Promise<OrganisationNotification[]> {
    return this.col.find({ organisation }).sort({ createdAt: 1, _id: 1 }).toArray();
  }
}

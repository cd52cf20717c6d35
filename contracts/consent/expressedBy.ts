// Who expressed a choice: the person, or someone acting for them with a reference to the authority.
// Carried by every event a hospital records about a person's choices (consent.given, reconfirmed,
// cancelled, withdrawn, optout.registered, optout.revoked) from dataversion 2 on; a version-1 event
// was, by the rules of its time, the person's own (upcast.ts).
//
// A parent's authority for a child ends at a date the hospital gives (the child's 16th birthday); no
// date of birth is stored. For the others it ends only if the hospital says so (e.g. a deputyship
// order with an end date). What follows from an ending authority is lifecycle.ts's: the person's own
// reconfirmation is needed, else the consent lapses.
import * as z from 'zod';
import { UtcTimestampSchema } from './primitives.js';

export const PROXY_ROLES = ['parent', 'guardian', 'lasting-power-of-attorney', 'court-appointed-deputy'] as const;
export type ProxyRole = (typeof PROXY_ROLES)[number];
export const EXPRESSED_BY_ROLES = ['person', ...PROXY_ROLES] as const;
export type ExpressedByRole = (typeof EXPRESSED_BY_ROLES)[number];

/**
 * The hospital's own reference to where it keeps the evidence of the authority (a document id in its
 * records). Not an identifier of a person: no run of ten or more digits (an NHS number, an LPA or
 * court reference that names the donor), even split by spaces or hyphens.
 */
const AUTHORITY_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9 ./:_-]{0,63}$/;
const AuthorityReferenceSchema = z
  .string()
  .regex(AUTHORITY_REFERENCE, { error: 'must be 1-64 of A-Z a-z 0-9 space . / : _ -, starting with a letter or digit' })
  .refine((v) => !/\d{10,}/.test(v.replace(/[ -]/g, '')), {
    error: 'must not contain a run of 10 or more digits (it would be an identifier of a person)',
  })
  .meta({ description: 'The recording organisation’s reference to its record of the authority.' });

const authorityEndsAt = UtcTimestampSchema.meta({
  description: 'When the authority to act for the person ends (for a parent: the child’s 16th birthday).',
});

export const ExpressedBySchema = z
  .discriminatedUnion('role', [
    z.strictObject({ role: z.literal('person') }),
    z.strictObject({
      role: z.literal('parent'),
      authorityReference: AuthorityReferenceSchema,
      authorityEndsAt,
    }),
    z.strictObject({
      role: z.enum(['guardian', 'lasting-power-of-attorney', 'court-appointed-deputy']),
      authorityReference: AuthorityReferenceSchema,
      authorityEndsAt: authorityEndsAt.optional(),
    }),
  ])
  .meta({
    title: 'ExpressedBy',
    description:
      'Who expressed it: the person, or someone acting for them (parent, guardian, lasting power of attorney, ' +
      'court-appointed deputy) with a reference to the authority and, for a parent, the date it ends.',
  });
export type ExpressedBy = z.infer<typeof ExpressedBySchema>;

/** What a version-1 event (written before proxies were recorded) is read as. */
export const BY_THE_PERSON: ExpressedBy = Object.freeze({ role: 'person' });

/** A proxy's part: its role, and when its authority ends (if it does). */
export interface ProxyAuthority {
  readonly role: ProxyRole;
  readonly authorityEndsAt?: string;
}

/** undefined when the person expressed it themselves. */
export function proxyOf(by: ExpressedBy): ProxyAuthority | undefined {
  if (by.role === 'person') return undefined;
  return { role: by.role, ...(by.authorityEndsAt !== undefined && { authorityEndsAt: by.authorityEndsAt }) };
}

/** Plain words for people (the person's own view, problem messages). */
export const ROLE_WORDS: Readonly<Record<ExpressedByRole, string>> = {
  person: 'you',
  parent: 'a parent',
  guardian: 'a guardian',
  'lasting-power-of-attorney': 'an attorney under a lasting power of attorney',
  'court-appointed-deputy': 'a court-appointed deputy',
};

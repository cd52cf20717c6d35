// The scope vocabulary every consent, opt-out and withdrawal is expressed in, plus the capture
// context of a consent and the GA4GH DUO codes that sit alongside our own purpose terms.
//
// Adding a value to a list here changes what old events *could* have said, never what they did
// say, so it is not a breaking change for stored events. Removing or renaming a value is: that
// would make ledger entries unreadable, so it needs a new event version (see upcast.ts).
import * as z from 'zod';

export const PURPOSES = [
  'research',
  'ai-training',
  'ai-validation',
  'service-planning',
  'product-development',
] as const;
export const DATA_CATEGORIES = ['ehr', 'imaging', 'genomics', 'lab-results', 'free-text'] as const;
export const DATA_USER_CATEGORIES = ['nhs', 'academic', 'commercial'] as const;
export const JURISDICTIONS = ['uk', 'eu', 'international'] as const;

const CAPTURE_CHANNELS = ['in-person', 'app', 'web', 'paper', 'phone'] as const;
/** acute and emergency capture is not effective until reconfirmed after cooling-off. */
export const CAPTURE_SETTINGS = ['routine', 'acute', 'emergency', 'remote'] as const;

export const PurposeSchema = z.enum(PURPOSES);
export const DataCategorySchema = z.enum(DATA_CATEGORIES);
export const DataUserCategorySchema = z.enum(DATA_USER_CATEGORIES);
export const JurisdictionSchema = z.enum(JURISDICTIONS);
export const CaptureChannelSchema = z.enum(CAPTURE_CHANNELS);
const CaptureSettingSchema = z.enum(CAPTURE_SETTINGS);

export type Purpose = z.infer<typeof PurposeSchema>;
export type DataCategory = z.infer<typeof DataCategorySchema>;
export type DataUserCategory = z.infer<typeof DataUserCategorySchema>;
export type Jurisdiction = z.infer<typeof JurisdictionSchema>;
export type CaptureChannel = z.infer<typeof CaptureChannelSchema>;
export type CaptureSetting = z.infer<typeof CaptureSettingSchema>;

/** The wildcard: every value of the dimension, including values added to the vocabulary later. */
export const ANY = '*' as const;

/** A scope dimension is `"*"` or a non-empty list of unique values. */
function dimension<const V extends readonly [string, ...string[]]>(values: V) {
  const list = z
    .array(z.enum(values))
    .min(1, { error: 'must list at least one value (use "*" for all)' })
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item)) ctx.addIssue({ code: 'custom', message: 'duplicate value', path: [i] });
        seen.add(item);
      });
    })
    .meta({ uniqueItems: true });
  return z.union([z.literal(ANY), list], {
    error: `must be "*" or a non-empty list of unique values from: ${values.join(', ')}`,
  });
}

export const ScopeSchema = z
  .strictObject({
    purposes: dimension(PURPOSES),
    dataCategories: dimension(DATA_CATEGORIES),
    dataUserCategories: dimension(DATA_USER_CATEGORIES),
    jurisdictions: dimension(JURISDICTIONS),
  })
  .meta({
    title: 'Scope',
    description: 'What a consent, opt-out or withdrawal covers; each dimension is "*" or a list.',
  });
export type Scope = z.infer<typeof ScopeSchema>;
export type ScopeDimension = keyof Scope;
export const SCOPE_DIMENSIONS = [
  'purposes',
  'dataCategories',
  'dataUserCategories',
  'jurisdictions',
] as const satisfies readonly ScopeDimension[];

/** The scope `*` in every dimension (the shape of a national opt-out). */
export const FULL_SCOPE = {
  purposes: ANY,
  dataCategories: ANY,
  dataUserCategories: ANY,
  jurisdictions: ANY,
} as const satisfies Scope;

export function isFullScope(scope: Scope): boolean {
  return SCOPE_DIMENSIONS.every((d) => scope[d] === ANY);
}

export const CaptureSchema = z
  .strictObject({ channel: CaptureChannelSchema, setting: CaptureSettingSchema })
  .meta({ title: 'Capture', description: 'How and in what clinical setting consent was captured.' });
export type Capture = z.infer<typeof CaptureSchema>;

// ---------------------------------------------------------------------------------------------
// GA4GH Data Use Ontology (DUO). DUO describes what a *dataset* may be used for; our purposes
// describe what a *person* agreed to. The mapping is therefore advisory (for FHIR export, consent
// receipts and data-release metadata) and never drives a decision: `decide` uses our vocabulary.
// ---------------------------------------------------------------------------------------------

export const DUO_TERMS = {
  'DUO:0000042': 'general research use (GRU)',
  'DUO:0000006': 'health or medical or biomedical research (HMB)',
  'DUO:0000015': 'no general methods research (NMDS)',
  'DUO:0000018': 'not for profit, non commercial use only (NPUNCU)',
  'DUO:0000022': 'geographical restriction (GS)',
  'DUO:0000045': 'not for profit organisation use only (NPU)',
  'DUO:0000046': 'non-commercial use only (NCU)',
} as const;
export type DuoCode = keyof typeof DUO_TERMS;

export interface DuoMapping {
  /** DUO data use permission(s) that a grant of this purpose corresponds to. */
  readonly permissions: readonly DuoCode[];
  readonly note: string;
}

export const PURPOSE_DUO: Readonly<Record<Purpose, DuoMapping>> = {
  research: { permissions: ['DUO:0000042'], note: 'general research use' },
  'ai-training': {
    permissions: ['DUO:0000042'],
    note:
      'DUO has no AI term; training a model is methods development, which GRU includes. ' +
      'A scope without ai-training is exported with the NMDS modifier (DUO:0000015).',
  },
  'ai-validation': {
    permissions: ['DUO:0000042'],
    note: 'DUO has no AI term; validating a model on held-out data is research use under GRU.',
  },
  'service-planning': {
    permissions: ['DUO:0000006'],
    note:
      'Closest available: health/medical research (HMB). DUO has no term for health-service ' +
      'planning, which is not research in the UK sense; treat the mapping as indicative.',
  },
  'product-development': {
    permissions: ['DUO:0000042'],
    note:
      'DUO has no permission for commercial use; it only restricts it. Granting ' +
      'product-development means the non-commercial modifiers (NCU DUO:0000046, NPUNCU ' +
      'DUO:0000018) are NOT exported; withholding it exports NCU.',
  },
};

/** DUO permissions and modifiers for a scope, e.g. for the FHIR Consent export. */
export function duoForScope(scope: Scope): { permissions: DuoCode[]; modifiers: DuoCode[] } {
  const purposes: readonly Purpose[] = scope.purposes === ANY ? PURPOSES : scope.purposes;
  const users: readonly DataUserCategory[] =
    scope.dataUserCategories === ANY ? DATA_USER_CATEGORIES : scope.dataUserCategories;
  const permissions = [...new Set(purposes.flatMap((p) => PURPOSE_DUO[p].permissions))].sort();
  const modifiers = new Set<DuoCode>();
  if (!purposes.includes('ai-training')) modifiers.add('DUO:0000015');
  const commercialUser = users.includes('commercial');
  const commercialUse = purposes.includes('product-development');
  // nhs and academic users are not-for-profit organisations.
  if (!commercialUser && !commercialUse) modifiers.add('DUO:0000018');
  else if (!commercialUse) modifiers.add('DUO:0000046');
  else if (!commercialUser) modifiers.add('DUO:0000045');
  if (scope.jurisdictions !== ANY) modifiers.add('DUO:0000022');
  return { permissions, modifiers: [...modifiers].sort() };
}

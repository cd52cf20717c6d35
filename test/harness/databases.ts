// A test's database is dropped when it is done, except in the whole-suite run: there the privacy scan
// that follows (test/privacy/scan.ts) must read every database the tests wrote, and drops them itself.
import type { Db } from '../../adapters/mongo.js';

export const keepForPrivacyScan = () => process.env.KEEP_TEST_DATABASES === '1';

export async function dropTestDatabase(db: Db): Promise<void> {
  if (keepForPrivacyScan()) return;
  await db.dropDatabase().catch(() => undefined);
}

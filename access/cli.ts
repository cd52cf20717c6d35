// Admin CLI for credentials:  make credential ROLE=hospital PRINCIPAL=org:rxh   (create, on the dev stack)
//   infra/stack.sh run node --import tsx access/cli.ts revoke <keyId> | list
import { Command, Option } from 'commander';
import { loadConfig, mongoConfig } from '../adapters/config.js';
import { connectMongo } from '../adapters/mongo.js';
import { CredentialStore, ROLES, type Role } from './credentials.js';
import { ORG_SOURCE_PATTERN, DATA_USER_ID_PATTERN } from '../contracts/consent/primitives.js';

const PRINCIPAL_RULES: Record<Role, RegExp> = {
  hospital: ORG_SOURCE_PATTERN,
  dataUser: DATA_USER_ID_PATTERN,
  auditor: /^[a-z0-9][a-z0-9.-]{0,62}$/,
  admin: /^[a-z0-9][a-z0-9.-]{0,62}$/,
};

async function withStore<T>(fn: (s: CredentialStore) => Promise<T>): Promise<T> {
  const cfg = loadConfig(mongoConfig);
  const mongo = await connectMongo({ url: cfg.MONGO_URL, db: cfg.MONGO_DB });
  try {
    return await fn(new CredentialStore(mongo.db));
  } finally {
    await mongo.close();
  }
}

const program = new Command('credentials').description('create, revoke and list API credentials');
program
  .command('create')
  .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
  .requiredOption('--principal <id>', 'org:<slug> for a hospital, du_… for a data user, a name otherwise')
  .action(async (o: { role: Role; principal: string }) => {
    if (!PRINCIPAL_RULES[o.role].test(o.principal))
      program.error(`--principal does not fit role ${o.role} (e.g. org:rxh, du_uni-oxford)`);
    const { keyId, apiKey } = await withStore((s) => s.create(o.role, o.principal));
    console.log(JSON.stringify({ keyId, role: o.role, principal: o.principal, apiKey }));
    console.error('Store the apiKey now: it is not kept and cannot be shown again.');
  });
program
  .command('revoke')
  .argument('<keyId>')
  .action(async (keyId: string) => {
    const done = await withStore((s) => s.revoke(keyId));
    if (!done) program.error(`no active credential ${keyId}`);
    console.log(`revoked ${keyId}`);
  });
program.command('list').action(async () => {
  for (const c of await withStore((s) => s.list())) console.log(JSON.stringify(c));
});
await program.parseAsync();

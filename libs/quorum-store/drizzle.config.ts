import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --config libs/quorum-store/drizzle.config.ts` writes the SQL
// migrations that QuorumStore.open() applies to every replica.
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/quorum-store/src/schema.ts',
  out: './libs/quorum-store/drizzle',
});

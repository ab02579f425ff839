// The GraphQL-over-HTTP audit (graphql-http's auditServer) against a running server:
//   node audit.mjs [url]      (default http://127.0.0.1:8000/graphql/, or AUDIT_URL)
// Prints every result and exits 1 on any MUST or SHOULD failure (MAY results are informative).
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.AUDIT_URL || 'http://127.0.0.1:8000/graphql/';
const results = await auditServer({ url });
const tally = {};
const failed = [];
for (const result of results) {
  const level = result.name.split(' ')[0]; // MUST | SHOULD | MAY
  tally[level] ??= { ok: 0, total: 0 };
  tally[level].total += 1;
  if (result.status === 'ok') {
    tally[level].ok += 1;
  } else {
    const detail = typeof result.reason === 'string' ? result.reason : JSON.stringify(result.reason);
    console.log(`${result.status.toUpperCase()} ${result.name}\n    ${detail}`);
    if (level !== 'MAY') failed.push(result.name);
  }
}
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  if (tally[level]) console.log(`${level}: ${tally[level].ok}/${tally[level].total}`);
}
if (failed.length) {
  console.log(`${failed.length} MUST/SHOULD failure(s)`);
  process.exit(1);
}

#!/usr/bin/env node
// Interlock runs its TypeScript sources directly, which needs Node 24 or later.
// Through npm (npm start, npx interlock, npm run interlock) the project's
// pinned Node 24 is used whatever the machine has.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`interlock needs Node.js 24 or later (this is ${process.version}); run it through npm: npx interlock ...\n`);
  process.exit(2);
}
await import('../src/cli.ts');

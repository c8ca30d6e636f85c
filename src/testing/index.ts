// What src/testing/ offers the rest of the hub; everything else in it is its own.
export { freshStorage, postgresUnavailable } from './engines.ts';
export { freePort, ilpLock, prepareBody } from './dfsp.ts';
export { adminClientFor } from './admin_client.ts';
export { startHubProcess, type HubProcess } from './hub_process.ts';
export { createLedgerFixture, type LedgerFixture, type TestParticipant } from './ledger_fixture.ts';

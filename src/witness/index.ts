// The witness server: the hub's cosigner peer (C2SP tlog-witness), run by a
// DFSP or the regulator with `interlock audit witness`.
export { runWitnessCommand, startWitness } from './cli.ts';
export { createWitnessServer, type WitnessServer } from './witness_server.ts';

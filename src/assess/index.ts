// interlock assess: the adversarial tests of a running hub, as a command.
export { runAssessCommand } from './cli.ts';

// What every `interlock` command shares: its exit codes, where it writes, and
// the error that means "this command line cannot run" (exit 2 and the usage).

/** The command ran and found a failure (a check failed, a request was refused). */
export const EXIT_FAILED = 1;
/** The command line cannot run: unknown words, missing or malformed options. */
export const EXIT_USAGE = 2;

/** Where a command writes; tests give their own to read what it said. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOutput: CliOutput = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};

/** A command line the command cannot run: answered with EXIT_USAGE and the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

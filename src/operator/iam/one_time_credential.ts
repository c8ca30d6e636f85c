// Where a one-time credential issued on the hub host (the bootstrap
// administrator's at first start, or `interlock operator reset-credential`)
// goes: to whoever started the hub, never to a log. On a terminal it is
// written there. When stderr is not a terminal (`npm start > hub.log 2>&1`, a
// service manager's journal) writing it there would put a live credential in
// a log capture, so it goes to a file in the data directory instead, readable
// by the hub's user only, and the log names the file (never the credential).
// The file goes when the operator replaces the credential at sign-in.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../support/index.ts';
import { writeNewKeyFile } from '../../support/index.ts';
import { isUsername } from './operators.ts';

export interface OneTimeCredentialDelivery {
  /** Delivers `text`, which holds the one-time credential of `username`, once. */
  readonly show: (text: string, username: string) => void;
  /** The one-time credential of `username` was replaced at sign-in: nothing of it stays behind. */
  readonly replaced: (username: string) => void;
}

/** What a terminal is to the delivery: process.stderr, or a stand-in in tests. */
export interface CredentialTerminal {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** The file a one-time credential of `username` is written to when there is no terminal. */
export function oneTimeCredentialFile(dataDir: string, username: string): string {
  // A username is a file name's safe part already (no separator, no leading dot); checked again since it names a path.
  if (!isUsername(username)) throw new Error('a one-time credential file is named by a valid username');
  return join(dataDir, `one-time-credential.${username}.txt`);
}

function removeIfPresent(path: string): boolean {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the hub's own file in its data directory
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The delivery of a hub with a data directory: the terminal when stderr is one, else an owner-only file there. */
export function oneTimeCredentialDelivery(options: { readonly dataDir: string; readonly log: Logger; readonly terminal?: CredentialTerminal }): OneTimeCredentialDelivery {
  const { dataDir, log } = options;
  const terminal = options.terminal ?? process.stderr;
  return {
    show(text, username) {
      if (terminal.isTTY === true) {
        terminal.write(`${text}\n`);
        log.warn({ operator: username }, `the one-time credential of ${username} is shown on the terminal, once`);
        return;
      }
      const file = oneTimeCredentialFile(dataDir, username);
      // A file already there holds an earlier credential of the same operator, which this one supersedes.
      // It is removed, not written over: the new file is made under a new name and linked into place (0600,
      // never following a link planted at the name).
      removeIfPresent(file);
      if (!writeNewKeyFile(file, `${text}\n`)) throw new Error(`${file} appeared while the one-time credential of ${username} was being written: another process is issuing one; try again`);
      log.warn({ operator: username, file }, `stderr is not a terminal, so the one-time credential of ${username} is not written there: it is in ${file} (readable by the hub's user only), removed when the credential is replaced at sign-in`);
    },
    replaced(username) {
      if (removeIfPresent(oneTimeCredentialFile(dataDir, username))) log.info({ operator: username }, `the one-time credential of ${username} was replaced: its file is removed`);
    },
  };
}

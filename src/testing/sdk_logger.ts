// The logger Mojaloop's sdk-standard-components expects (push/child and the
// level methods), saying nothing: for the SDK used as a test peer.
export const SDK_SILENT_LOGGER = {
  isVerboseEnabled: false, isDebugEnabled: false, isInfoEnabled: false,
  push(): unknown { return SDK_SILENT_LOGGER; },
  child(): unknown { return SDK_SILENT_LOGGER; },
  silly: (): undefined => undefined,
  debug: (): undefined => undefined,
  verbose: (): undefined => undefined,
  info: (): undefined => undefined,
  warn: (): undefined => undefined,
  error: (): undefined => undefined,
  log: (): undefined => undefined,
};

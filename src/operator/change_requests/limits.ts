// Bounds of maker-checker, each with its reason.

/** How long a request waits for its approvals unless its function's policy says otherwise: a working day and a night. */
export const PENDING_MS_DEFAULT = 24 * 3_600_000;
/** The longest a policy may let a request wait: a stale approval is a risk of its own. */
export const PENDING_MS_MAX = 7 * 24 * 3_600_000;
export const PENDING_MS_MIN = 60_000;
/** N of M: at most this many approvals (the database checks the same bound). */
export const APPROVALS_REQUIRED_MAX = 9;
/** How often pending requests past their time are expired. */
export const EXPIRY_SWEEP_INTERVAL_MS = 60_000;
/**
 * An approved request whose outcome is still unrecorded this long after its approval was cut off
 * (its hub process stopped while running it): far beyond the longest admin request (120 s).
 */
export const EXECUTION_STALE_MS = 10 * 60_000;
/** Largest stored request body or result kept on a change request. */
export const STORED_BODY_CHARS_MAX = 65_536;
/** Requests listed per page. */
export const LIST_LENGTH_MAX = 200;

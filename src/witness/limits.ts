// The witness server's bounds, with their unit and reason.

/** How long a witness server allows to receive one whole request (a slow client cannot hold its one state lock). */
export const WITNESS_SERVER_REQUEST_TIMEOUT_MS = 10_000;

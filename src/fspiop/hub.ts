// The hub takes part in the protocol under a name of its own: it is the
// FSPIOP-Source of every message it originates (callbacks it answers itself,
// commit notifications, errors) and a participant no DFSP may be named after.

/** The hub's own participant, the FSPIOP-Source of every message the hub originates. */
export const HUB_PARTICIPANT_NAME = 'Hub';

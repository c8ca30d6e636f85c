// Bounds and defaults that are facts of the configuration: the schema
// (schema.ts) checks keys against them, and the modules that enforce them
// import them from here.

/**
 * How long after a hub's first start its bootstrap administrator may still act
 * alone (admin.bootstrapWindowMs): a day to create the first security team, by
 * default. The window also closes, for good, once a security approver other
 * than the administrator exists, and `npm start` (the demo) closes it when its
 * onboarding is done. The bounds: at least a minute to sign in and enrol, at
 * most a week, so an unattended hub never keeps a one-person door open.
 */
export const BOOTSTRAP_WINDOW_MS_DEFAULT = 24 * 3_600_000;
export const BOOTSTRAP_WINDOW_MS_MIN = 60_000;
export const BOOTSTRAP_WINDOW_MS_MAX = 7 * 24 * 3_600_000;

/** Shortest and longest interval between checkpoints (the default, 1 s, is Tessera's). */
export const CHECKPOINT_INTERVAL_MS_MIN = 100;
export const CHECKPOINT_INTERVAL_MS_MAX = 3_600_000;

/**
 * The interval over which repeated security events are counted rather than appended one by one: the first
 * event of a (source, kind) in an interval is appended at once, the rest are counted into one summary entry
 * appended when the interval ends. A flood of refusals then costs at most two entries per source and kind a
 * minute, and a crash loses at most one interval's counts.
 */
export const SECURITY_EVENT_COALESCE_INTERVAL_MS = 60_000;

/** Bounds of audit.securityEventIntervalMs: under a second the summaries become the flood; over an hour a crash loses too much. */
export const SECURITY_EVENT_INTERVAL_MS_MIN = 1_000;
export const SECURITY_EVENT_INTERVAL_MS_MAX = 3_600_000;

/** The allow-list when none is configured: unicast IPv4 (multicast and reserved are refused anyway), IPv6 global unicast and unique-local. */
export const DEFAULT_CALLBACK_NETWORKS: readonly string[] = ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3', '2000::/3', 'fc00::/7'];

/**
 * CIDR ranges delivery.callbackNetworks may list: a scheme describes its DFSPs' networks in a few
 * ranges; hundreds would be a list of hosts, which belongs in each participant's endpoints instead.
 */
export const CALLBACK_NETWORKS_MAX = 64;

/** Trusted proxy ranges a scheme may configure. */
export const TRUSTED_PROXIES_MAX = 64;

/** Longest leaf lifetime, whatever the configuration says: the CA/Browser Forum's TLS limit, and the issue's. */
export const LEAF_LIFETIME_DAYS_MAX = 397;

/** Longest interval between a CRL's thisUpdate and nextUpdate (CA/B caps subscriber CRLs at 10 days). */
export const CRL_NEXT_UPDATE_HOURS_MAX = 240;

/** Witnesses a hub sends its checkpoints to: a quorum of DFSPs and the regulator, never hundreds. */
export const WITNESSES_MAX = 16;

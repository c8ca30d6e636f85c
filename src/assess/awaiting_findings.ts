// Probes that expect the fix of an issue 13 finding made in another branch,
// with the finding's number: until that branch is merged, these fail on this
// branch's hub, and the end-to-end test expects exactly these failures. The
// lead empties this map once the fixes are merged (each probe's definition
// keeps its dependsOnFinding, so the report still says why it would fail).
export const PROBES_AWAITING_FINDINGS: ReadonlyMap<string, number> = new Map([
  ['maker_checker.settlement-model-maker-alone', 2],
  ['messages.duplicate-json-members', 3],
  ['maker_checker.admin-duplicate-json-members', 3],
  ['messages.party-identifier-by-type', 6],
  ['gateway.callback-endpoint-targets', 7],
  ['audit.security-events-name-reasons', 8],
]);

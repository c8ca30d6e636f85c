// Every state-changing admin route is either a maker-checker route (it
// becomes a change request: access.change) or listed here, with why it needs
// no second person. A route that is neither fails route_inventory.test.ts,
// which reads the routes actually registered on an admin API (Fastify's
// onRoute hook, access.ts), so a new route cannot slip in unclassified.
//
// The bar for this list: the route cannot move money, cannot change who may
// do what, and cannot weaken a control; or it is part of maker-checker or of
// signing in itself.

/** "METHOD /path" as registered → why it takes effect without a second person. */
export const NON_SENSITIVE_ROUTES: Readonly<Record<string, string>> = {
  'POST /changeRequests/:id/approve': 'the second person of maker-checker: the approval is the control (the maker, and the subject of a request, cannot approve it)',
  'POST /changeRequests/:id/reject': 'stops a change from happening; nothing takes effect',
  'POST /changeRequests/:id/cancel': 'its maker withdraws a pending request; nothing takes effect',
  'DELETE /operators/:id/sessions': 'protective: ends an operator\'s sessions and tokens, needed at once in an incident; grants nothing',
  'POST /participants/:name/accounts': 'opens the hub\'s own settlement and reconciliation accounts in a currency: no balance, no limit, no participant gains anything; the participants and their money in that currency each need a change request',
  'PUT /participants/:name/accounts/:id/transfers/:transferId': 'commits or releases a funds-out reservation that a second person already approved (FUNDS_OUT): it completes that decision and moves no more than it',
  'POST /settlementWindows/:id': 'closes the open settlement window and opens the next: every committed transfer stays where it is, nothing moves (SETTLEMENT_WINDOW_CLOSE)',
  'POST /settlements': 'nets closed windows into a settlement: records each participant\'s net amount, moves nothing; each step that moves money is a change request (SETTLEMENT_CREATE)',
  'POST /risk/ruleSets/:name': 'saves a new DRAFT version of an FRMS rule set: a draft is enforced nowhere; making it SHADOW or LIVE is a change request (RISK_RULE_SET_PROMOTE) (RISK_RULES_DRAFT)',
  'POST /risk/partyKeys': 'a read: answers the keyed digest of a party identifier so that a list change can name the party by its key; stores nothing (RISK_LISTS_READ)',
  'POST /risk/cases/:id/assignment': 'names the analyst working an FRMS case: no payment, no control changes (RISK_CASE_WORK)',
  'POST /risk/cases/:id/notes': 'adds an analyst\'s note to an FRMS case\'s append-only trail (RISK_CASE_WORK)',
  'POST /risk/cases/:id/closure': 'closes an FRMS case with its outcome; a hold still held stays held until it expires, a CONFIRMED_FRAUD outcome only makes later payments of its parties look riskier (RISK_CASE_WORK)',
  'POST /risk/cases/:id/confirmation': 'protective: aborts a transfer the FRMS held as fraud, releasing its reservation as its expiry would; it can only stop a payment, never let one through (RISK_CASE_WORK)',
  'POST /oidc/*': 'the authorization server: it authenticates clients and operators itself; no admin action',
  'POST /interaction/:uid/login': 'signing in: how an operator gets a token',
  'POST /interaction/:uid/password': 'signing in: the operator replaces their one-time credential',
  'POST /interaction/:uid/enrol': 'signing in: the operator enrols their TOTP authenticator',
  'POST /interaction/:uid/totp': 'signing in: the operator\'s second factor',
  'POST /portal/changeRequests/:id/approve': 'the portal\'s form for POST /changeRequests/:id/approve, made with the operator\'s own token',
  'POST /portal/changeRequests/:id/reject': 'the portal\'s form for POST /changeRequests/:id/reject, made with the operator\'s own token',
  'POST /portal/logout': 'ends the operator\'s own portal session',
  'POST /portal/api/*': 'the portal\'s proxy: each call reaches the admin route it names with the operator\'s token, and that route\'s own classification applies',
  'PUT /portal/api/*': 'the portal\'s proxy: each call reaches the admin route it names with the operator\'s token, and that route\'s own classification applies',
  'DELETE /portal/api/*': 'the portal\'s proxy: each call reaches the admin route it names with the operator\'s token, and that route\'s own classification applies',
};

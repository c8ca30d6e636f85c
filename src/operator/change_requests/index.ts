// Maker-checker: change requests, their approvals, N-of-M policies, expiry,
// and exactly-once execution of what was approved.
export { createChangeRequests, changeRequestView, type ChangeRequests, type ChangeRequest, type StoredRequest } from './service.ts';
export { createExecutions, EXECUTION_HEADER, type Executions } from './executor.ts';
export { CHANGE_REQUEST_STATES, TRANSITIONS, canTransition, type ChangeRequestState } from './states.ts';

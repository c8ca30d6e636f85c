// The hub's migrations, in the order they run. Each file is frozen once
// released: it holds its own literals (states, bounds, trigger SQL) instead of
// importing the domain's live constants, so that a database migrated years ago
// and one migrated today end with the same schema. A change is a new file.
// The names are recorded in the kysely_migration table of every database:
// never rename one.
import type { Migration } from '../storage/index.ts';
import * as m0001 from './0001_ledger.ts';
import * as m0002 from './0002_delivery.ts';
import * as m0003 from './0003_transfers.ts';
import * as m0004 from './0004_lookup.ts';
import * as m0005 from './0005_quotes.ts';
import * as m0008 from './0008_outbox_lapse.ts';
import * as m0009 from './0009_signing_keys.ts';
import * as m0010 from './0010_pki.ts';
import * as m0011 from './0011_operator_iam.ts';
import * as m0012 from './0012_change_requests.ts';
import * as m0013 from './0013_portal_sessions.ts';
import * as m0020 from './0020_message_evidence.ts';
import * as m0030 from './0030_audit_log.ts';
import * as m0031 from './0031_gateway_policies.ts';
import * as m0040 from './0040_bootstrap_never_approves_money.ts';
import * as m0050 from './0050_sealed_sessions.ts';
import * as m0060 from './0060_settlement.ts';
import * as m0061 from './0061_window_totals_index.ts';
import * as m0070 from './0070_risk_features.ts';
import * as m0071 from './0071_risk_decisions.ts';
import * as m0072 from './0072_risk_admin.ts';
import * as m0073 from './0073_risk_cases.ts';
import * as m0074 from './0074_risk_fraud_reports.ts';

export const MIGRATIONS: readonly Migration[] = [
  { name: '0001_ledger', up: m0001.up },
  { name: '0002_delivery', up: m0002.up },
  { name: '0003_transfers', up: m0003.up },
  { name: '0004_lookup', up: m0004.up },
  { name: '0005_quotes', up: m0005.up },
  { name: '0008_outbox_lapse', up: m0008.up },
  { name: '0009_signing_keys', up: m0009.up },
  { name: '0010_pki', up: m0010.up },
  { name: '0011_operator_iam', up: m0011.up },
  { name: '0012_change_requests', up: m0012.up },
  { name: '0013_portal_sessions', up: m0013.up },
  { name: '0020_message_evidence', up: m0020.up },
  { name: '0030_audit_log', up: m0030.up },
  { name: '0031_gateway_policies', up: m0031.up },
  { name: '0040_bootstrap_never_approves_money', up: m0040.up },
  { name: '0050_sealed_sessions', up: m0050.up },
  { name: '0060_settlement', up: m0060.up },
  { name: '0061_window_totals_index', up: m0061.up },
  { name: '0070_risk_features', up: m0070.up },
  { name: '0071_risk_decisions', up: m0071.up },
  { name: '0072_risk_admin', up: m0072.up },
  { name: '0073_risk_cases', up: m0073.up },
  { name: '0074_risk_fraud_reports', up: m0074.up },
];

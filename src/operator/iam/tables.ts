// The IAM module's tables (migration 0011) and its own view of them (iamTables).
import type { Selectable } from 'kysely';
import { ownTables } from '../../storage/index.ts';

export interface OperatorsTable {
  id: string;
  /** Lower case; unique. */
  username: string;
  display_name: string;
  /** PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash (password.ts). */
  password_hash: string;
  /** 1 for a one-time credential (the bootstrap's, or after a reset): it must be changed at the next sign-in. */
  is_password_temporary: number;
  /** The base32 TOTP secret once enrolled, sealed for this row (secret_box.ts: v1.<iv>.<ciphertext>.<tag>). */
  totp_secret: string | null;
  /** The last TOTP time step accepted, so that a code is never accepted twice. */
  totp_last_counter: number | null;
  /** Consecutive failed sign-in steps (password or TOTP) since the last success. */
  failed_attempts: number;
  locked_until_ms: number | null;
  is_active: number;
  /** 1 for the administrator created at first start. */
  is_bootstrap: number;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
  password_changed_at_ms: number;
}

export interface IamClientsTable {
  client_id: string;
  display_name: string;
  /** JSON JWK Set of the client's public keys (private_key_jwt). */
  public_jwks: string;
  is_active: number;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
}

export interface IamKeysTable {
  name: string;
  /** A private JWK (JSON) or a random secret (base64url), sealed for this row (secret_box.ts). */
  material: string;
  created_at_ms: number;
}

export interface IamStateTable {
  name: string;
  value: string;
  changed_at_ms: number;
}

/** oidc-provider's artefacts (sessions, grants, codes, refresh tokens, interactions, …), one row each. */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  expires_at_ms: number | null;
  consumed_at_ms: number | null;
}

/** Sign-in attempts per source address per fixed window. */
export interface SigninAttemptsTable {
  source: string;
  window_start_ms: number;
  attempts: number;
}

export type SigninStage = 'CHANGE_PASSWORD' | 'ENROL_TOTP' | 'TOTP';

/** An interactive sign-in past its password step, keyed by oidc-provider's interaction uid. */
export interface SigninFlowsTable {
  uid: string;
  operator_id: string;
  stage: SigninStage;
  pending_totp_secret: string | null;
  expires_at_ms: number;
}

export interface IamTables {
  operators: OperatorsTable;
  iam_clients: IamClientsTable;
  iam_keys: IamKeysTable;
  iam_state: IamStateTable;
  oidc_payloads: OidcPayloadsTable;
  signin_attempts: SigninAttemptsTable;
  signin_flows: SigninFlowsTable;
}

export const iamTables = ownTables<IamTables>();

export type Operator = Selectable<OperatorsTable>;
export type IamClient = Selectable<IamClientsTable>;


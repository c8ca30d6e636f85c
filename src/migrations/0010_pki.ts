// The scheme PKI: certificates the issuing CA signed, the CRLs it published,
// and the number of its last CRL. The CHECKs keep a row's status and its revocation facts in step:
// an ISSUED certificate has no revocation date or reason, a REVOKED one both.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('pki_certificates')
    .addColumn('serial_hex', 'text', (c) => c.primaryKey().check(sql`length(serial_hex) between 2 and 40`))
    .addColumn('fsp_id', 'text', (c) => c.notNull().check(sql`length(fsp_id) between 2 and 30`))
    .addColumn('profile', 'text', (c) => c.notNull().check(sql`profile in ('client', 'server', 'both')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('key_description', 'text', (c) => c.notNull())
    .addColumn('public_key_sha256', 'text', (c) => c.notNull().unique().check(sql`length(public_key_sha256) = 64`))
    .addColumn('issuer_key_id', 'text', (c) => c.notNull())
    .addColumn('not_before_ms', 'bigint', (c) => c.notNull())
    .addColumn('not_after_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ISSUED', 'REVOKED')`))
    .addColumn('revoked_at_ms', 'bigint')
    .addColumn('revocation_reason', 'text')
    .addColumn('renews_serial_hex', 'text', (c) => c.references('pki_certificates.serial_hex'))
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull().unique().check(sql`length(fingerprint_sha256) = 64`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addCheckConstraint('pki_certificates_lifetime', sql`not_after_ms > not_before_ms`)
    .addCheckConstraint('pki_certificates_revocation', sql`(status = 'ISSUED' and revoked_at_ms is null and revocation_reason is null)
      or (status = 'REVOKED' and revoked_at_ms is not null and revocation_reason is not null)`)
    .execute();
  await db.schema.createIndex('pki_certificates_by_fsp').on('pki_certificates').columns(['fsp_id', 'not_after_ms']).execute();
  await db.schema.createIndex('pki_certificates_by_expiry').on('pki_certificates').columns(['status', 'not_after_ms']).execute();

  // The last CRL number of each issuing CA. Taking the next one is an upsert on this row, which
  // holds the row's lock until commit: CRLs are signed one at a time, each seeing every revocation
  // committed before it (see pki/service.ts).
  await db.schema
    .createTable('pki_crl_numbers')
    .addColumn('issuer_key_id', 'text', (c) => c.primaryKey())
    .addColumn('last_crl_number', 'bigint', (c) => c.notNull().check(sql`last_crl_number > 0`))
    .execute();

  await db.schema
    .createTable('pki_crls')
    .addColumn('issuer_key_id', 'text', (c) => c.notNull())
    .addColumn('crl_number', 'bigint', (c) => c.notNull().check(sql`crl_number > 0`))
    .addColumn('this_update_ms', 'bigint', (c) => c.notNull())
    .addColumn('next_update_ms', 'bigint', (c) => c.notNull())
    .addColumn('crl_pem', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pki_crls_pk', ['issuer_key_id', 'crl_number'])
    .addCheckConstraint('pki_crls_interval', sql`next_update_ms > this_update_ms`)
    .execute();
}

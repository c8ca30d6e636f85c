// Each module owns its tables: it declares them in its own tables.ts and makes
// its typed view of the database with ownTables, e.g.
//
//   export interface TransferTables { transfers: TransfersTable; … }
//   export const transferTables = ownTables<TransferTables>();
//   … transferTables(tx).selectFrom('transfers') …
//
// A module does not export its tables' types; other modules call the queries
// it exports instead. The view is only a type: the same connection or
// transaction, so a module's queries still run in its caller's transaction.
import type { Kysely, Transaction } from 'kysely';

export interface TablesView<T> {
  <S>(tx: Transaction<S>): Transaction<T>;
  <S>(db: Kysely<S>): Kysely<T>;
}

export function ownTables<T>(): TablesView<T> {
  // Only the type changes: the view is the same connection or transaction object.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- a type-only view of the caller's own Kysely or Transaction instance
  return (<S>(db: Kysely<S>) => db as unknown as Kysely<T>) as TablesView<T>;
}

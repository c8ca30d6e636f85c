// The database as storage sees it: no tables. Each module declares its tables
// in its own tables.ts and queries them through its own view (ownTables), so a
// query through a bare Db does not type-check.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no table is storage's
export interface Schema {}

// The database as storage sees it: no tables of its own. Each module declares
// its tables in its own tables.ts and queries them through its own view
// (ownTables). Modules still merge their tables in here until each queries only
// through its view.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Schema {}

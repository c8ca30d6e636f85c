// Embedded storage: SQLite through node:sqlite, in WAL mode, behind Kysely.
// Kysely's SqliteDialect expects a better-sqlite3-like object; this adapts
// node:sqlite's DatabaseSync to it, and makes every transaction
// BEGIN IMMEDIATE so that the write lock is taken before the first read:
// two processes can then never both read a balance and both write it.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteStatement } from 'kysely';

/** How long a writer waits for another process's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** Prepared statements kept per connection; queries are built by Kysely, so the set of distinct SQL texts is small and bounded by the code. */
const STATEMENT_CACHE_SIZE_MAX = 512;

function adapt(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, { statement: StatementSync; reader: boolean }>();
  const prepared = (sql: string): { statement: StatementSync; reader: boolean } => {
    let entry = cache.get(sql);
    if (entry === undefined) {
      const statement = database.prepare(sql);
      statement.setReadBigInts(true);
      entry = { statement, reader: statement.columns().length > 0 };
      if (cache.size >= STATEMENT_CACHE_SIZE_MAX) cache.clear();
      cache.set(sql, entry);
    }
    return entry;
  };
  type Parameter = SQLInputValue;
  return {
    close: () => {
      database.close();
    },
    prepare: (sql: string): SqliteStatement => {
      const { statement, reader } = prepared(sql);
      return {
        reader,
        all: (parameters) => statement.all(...(parameters as Parameter[])),
        run: (parameters) => statement.run(...(parameters as Parameter[])),
        iterate: (parameters) => statement.iterate(...(parameters as Parameter[])),
      };
    },
  };
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
}

/**
 * Opens (creating if needed) the SQLite file at `path`, with the settings a
 * ledger needs: WAL, full fsync on commit, foreign keys, a busy timeout.
 * The data directory is created with mode 0700 and the files are 0600.
 */
export function openSqlite(path: string): SqliteDialect {
  if (path !== ':memory:') {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the storage path
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  const database = new DatabaseSync(path, {
    enableForeignKeyConstraints: true,
    enableDoubleQuotedStringLiterals: false,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
  });
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator configures the storage path
  if (path !== ':memory:') chmodSync(path, 0o600);
  database.exec('pragma journal_mode = wal');
  // FULL: a committed movement of money survives power loss, not only a crash.
  database.exec('pragma synchronous = full');
  database.exec('pragma trusted_schema = off');
  return new NodeSqliteDialect(adapt(database));
}

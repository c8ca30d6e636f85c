export type Engine = 'sqlite' | 'postgres';

/** Which engine a storage URL selects: postgres:// or postgresql:// for PostgreSQL, anything else is a SQLite file path. */
export function engineOf(url: string): Engine {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/** The URL with any password removed, for logs and messages. */
export function redactStorageUrl(url: string): string {
  if (engineOf(url) === 'sqlite') return url;
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

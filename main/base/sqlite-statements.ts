import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepared statements of one database by SQL text: prepared on first use,
 * reused after (preparing costs more than most runs). Each repository keeps
 * one as its `sql`.
 */
export function statementCache(db: Database): (source: string) => Statement {
  const statements = new Map<string, Statement>();
  return (source) => {
    let stmt = statements.get(source);
    if (!stmt) {
      stmt = db.prepare(source);
      statements.set(source, stmt);
    }
    return stmt;
  };
}

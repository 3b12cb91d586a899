// The SQLite functions SQLiteDirectAppender (MeshStore) calls, declared against SQLiteNIO's
// own copy of SQLite: sqlite-nio builds the amalgamation with every symbol prefixed
// `sqlite_nio_` (its VaporCSQLite target, which is not one of its products). Declaring them
// here, in a target of Mesh's own, reaches that same copy without importing a module no product
// exposes. It must be the same copy as SQLiteNIO's: two copies of SQLite in one process break
// each other's POSIX file locks. The prototypes and values are SQLite's (sqlite3.h, 3.x); if
// sqlite-nio ever renamed them, the link fails loudly rather than calling something else.
#ifndef MESH_SQLITE_SYMBOLS_H
#define MESH_SQLITE_SYMBOLS_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef long long int sqlite3_int64;
typedef unsigned long long int sqlite3_uint64;
typedef void (*sqlite3_destructor_type)(void *);

#define SQLITE_OK 0
#define SQLITE_ERROR 1
#define SQLITE_BUSY 5
#define SQLITE_LOCKED 6
#define SQLITE_CONSTRAINT 19
// The extended codes, as numbers (sqlite3.h writes them as SQLITE_CONSTRAINT | kind << 8, which
// Swift does not import).
#define SQLITE_CONSTRAINT_FOREIGNKEY 787
#define SQLITE_CONSTRAINT_PRIMARYKEY 1555
#define SQLITE_CONSTRAINT_TRIGGER 1811
#define SQLITE_CONSTRAINT_UNIQUE 2067
#define SQLITE_CONSTRAINT_ROWID 2579
#define SQLITE_MISUSE 21
#define SQLITE_DONE 101
#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_PREPARE_PERSISTENT 0x01
#define SQLITE_UTF8 1

int sqlite_nio_sqlite3_open_v2(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs);
int sqlite_nio_sqlite3_close(sqlite3 *);
int sqlite_nio_sqlite3_extended_result_codes(sqlite3 *, int onoff);
int sqlite_nio_sqlite3_extended_errcode(sqlite3 *db);
const char *sqlite_nio_sqlite3_errmsg(sqlite3 *);
int sqlite_nio_sqlite3_exec(sqlite3 *, const char *sql, int (*callback)(void *, int, char **, char **),
                            void *, char **errmsg);
int sqlite_nio_sqlite3_prepare_v3(sqlite3 *db, const char *zSql, int nByte, unsigned int prepFlags,
                                  sqlite3_stmt **ppStmt, const char **pzTail);
int sqlite_nio_sqlite3_bind_int64(sqlite3_stmt *, int, sqlite3_int64);
int sqlite_nio_sqlite3_bind_double(sqlite3_stmt *, int, double);
int sqlite_nio_sqlite3_bind_null(sqlite3_stmt *, int);
int sqlite_nio_sqlite3_bind_text64(sqlite3_stmt *, int, const char *, sqlite3_uint64, void (*)(void *),
                                   unsigned char encoding);
int sqlite_nio_sqlite3_step(sqlite3_stmt *);
int sqlite_nio_sqlite3_reset(sqlite3_stmt *pStmt);
int sqlite_nio_sqlite3_clear_bindings(sqlite3_stmt *);
int sqlite_nio_sqlite3_finalize(sqlite3_stmt *pStmt);

#endif

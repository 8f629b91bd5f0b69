/* eduguard.audit._chaincheck: the chain check loop over SQLite, read through its C API (the
 * system libsqlite3, the library Python's sqlite3 module uses; memory-mapped, read-only). */
#include "chaincheck.h"
#include <sqlite3.h>

/* ---- SQLite ------------------------------------------------------------------------ */

/* Columns 0 and 1 are hash and chain_format; column k+2 holds canonical slot k (the id and
 * prev_hash are read from their slots). Values are read through sqlite3_column_value: the
 * connection is opened NOMUTEX (multi-thread mode), where protected and unprotected
 * sqlite3_value objects are the same (sqlite.org/c3ref/value.html), and this skips the
 * per-call locking wrappers of the sqlite3_column_* functions. */
static void sqlite_values(check_t *c, sqlite3_stmt *st) {
    for (int k = 0; k < c->nkeys; k++) {
        value_t *v = &c->values[k];
        sqlite3_value *cell = sqlite3_column_value(st, k + 2);
        int type = sqlite3_value_type(cell);
        if (type == SQLITE_TEXT) {
            v->type = c->kinds[k] == K_TIME ? V_TIME_TEXT : V_TEXT;
            v->s = (const char *)sqlite3_value_text(cell);
            v->n = (size_t)sqlite3_value_bytes(cell);
        } else if (c->kinds[k] == K_TIME) {
            v->type = V_BAD; /* verify.canonical_sql concatenates the text as stored */
        } else if (type == SQLITE_NULL) {
            v->type = V_NULL;
        } else if (type == SQLITE_INTEGER) {
            v->type = V_INT;
            v->v = sqlite3_value_int64(cell);
        } else {
            v->type = V_BAD; /* a float or a blob: let the row checker decide */
        }
    }
}

static PyObject *scan_sqlite(PyObject *self, PyObject *args) {
    (void)self;
    const char *path, *sql, *kinds;
    long long after, upto, expected;
    PyObject *keys, *previous, *signed_list;
    if (!PyArg_ParseTuple(args, "ssOsLLLOO", &path, &sql, &keys, &kinds, &after, &upto,
                          &expected, &previous, &signed_list))
        return NULL;
    check_t c;
    if (check_init(&c, keys, kinds, expected, previous, signed_list)) {
        check_free(&c);
        return NULL;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc, failed = 0;
    char message[512] = "";
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db, 30000);
    /* Map the file: pages are read in place instead of copied by read(). */
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA mmap_size = 4294967296", NULL, NULL, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 1, after);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, upto);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int r = 1;
            if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
                sqlite3_column_type(st, 1) == SQLITE_INTEGER) {
                sqlite_values(&c, st);
                const value_t *id = &c.values[c.id_slot], *prev = &c.values[c.prev_slot];
                if (id->type == V_INT && prev->type == V_TEXT)
                    r = check_event(&c, sqlite3_column_int64(st, 1), id->v, prev->s, prev->n,
                                    (const char *)sqlite3_column_text(st, 0),
                                    (size_t)sqlite3_column_bytes(st, 0));
            }
            if (r < 0) { failed = 1; break; }
            if (r > 0) { c.bad = 1; break; }
        }
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK && db) snprintf(message, sizeof message, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (failed)
        PyErr_SetString(PyExc_RuntimeError, "out of memory or OpenSSL failure");
    else if (rc != SQLITE_OK)
        PyErr_Format(PyExc_RuntimeError, "sqlite: %s", message[0] ? message : "cannot open");
    else
        result = check_result(&c);
    check_free(&c);
    return result;
}

/* The address of sqlite3_libversion in the SQLite library this module uses: equal to the one
 * Python's sqlite3 module uses exactly when both share one copy of SQLite (then threads may
 * read the database in-process without breaking each other's POSIX locks). */
static PyObject *sqlite_address(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromVoidPtr((void *)sqlite3_libversion);
}

static PyMethodDef methods[] = {
    {"scan_sqlite", scan_sqlite, METH_VARARGS,
     "scan_sqlite(path, sql, keys, kinds, after, upto, expected, previous, signed)\n"
     "-> (count, first_id, first_prev, last_id, last_hash, bad)"},
    {"sm3_hex", sm3_hex, METH_O, "sm3_hex(data) -> the SM3 of data, as 64 hex digits"},
    {"sqlite_address", sqlite_address, METH_NOARGS,
     "sqlite_address() -> address of sqlite3_libversion in the SQLite this module uses"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_chaincheck", "The audit chain check loop over SQLite.", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__chaincheck(void) {
    if (init_gcrypt()) return NULL;
    return PyModule_Create(&module);
}

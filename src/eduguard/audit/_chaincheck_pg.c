/* eduguard.audit._chaincheck_pg: the chain check loop over PostgreSQL, reading the binary COPY
 * of a range of audit_events through libpq and parsing it in place (no Arrow, no Python per
 * row). */
#include "chaincheck.h"
#include <libpq-fe.h>

/* ---- PostgreSQL: binary COPY through libpq ------------------------------------------- */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_int(const unsigned char *p, int32_t len) {
    uint64_t u = 0;
    for (int32_t i = 0; i < len; i++) u = u << 8 | p[i];
    if (len < 8 && (u >> (8 * len - 1)) & 1) u |= ~0ULL << (8 * len); /* sign-extend */
    return (int64_t)u;
}

#define PG_EPOCH_US 946684800000000LL /* 2000-01-01 in Unix microseconds */
static const char PGCOPY[] = "PGCOPY\n\377\r\n";

/* One tuple (nkeys slots, then hash and chain_format). Returns 0, 1 (not clean), 2 (trailer). */
static int pg_tuple(check_t *c, const unsigned char *p, const unsigned char *end, long long *fmt,
                    const char **hash, size_t *hash_len) {
    if (end - p < 2) return 1;
    int nfields = (int16_t)(p[0] << 8 | p[1]);
    p += 2;
    if (nfields == -1) return 2;
    if (nfields != c->nkeys + 2) return 1;
    for (int k = 0; k < nfields; k++) {
        if (end - p < 4) return 1;
        int32_t len = (int32_t)be32(p);
        p += 4;
        if (len > end - p) return 1;
        char kind = k < c->nkeys ? c->kinds[k] : (k == c->nkeys ? K_TEXT : K_INT);
        value_t tmp, *v = k < c->nkeys ? &c->values[k] : &tmp;
        if (len < 0) {
            v->type = kind == K_TIME || k >= c->nkeys ? V_BAD : V_NULL;
        } else if (kind == K_TEXT) {
            v->type = V_TEXT;
            v->s = (const char *)p;
            v->n = (size_t)len;
        } else if (kind == K_TIME) {
            v->type = len == 8 ? V_TIME_MICROS : V_BAD;
            if (len == 8) v->v = be_int(p, 8) + PG_EPOCH_US;
        } else {
            v->type = len == 2 || len == 4 || len == 8 ? V_INT : V_BAD;
            if (v->type == V_INT) v->v = be_int(p, len);
        }
        if (k == c->nkeys) {
            if (v->type != V_TEXT) return 1;
            *hash = v->s;
            *hash_len = v->n;
        } else if (k == c->nkeys + 1) {
            if (v->type != V_INT) return 1;
            *fmt = v->v;
        }
        if (len > 0) p += len;
    }
    return 0;
}

static PyObject *scan_postgres(PyObject *self, PyObject *args) {
    (void)self;
    const char *conninfo, *sql, *kinds;
    long long expected;
    PyObject *keys, *previous, *signed_list;
    if (!PyArg_ParseTuple(args, "ssOsLOO", &conninfo, &sql, &keys, &kinds, &expected, &previous,
                          &signed_list))
        return NULL;
    check_t c;
    if (check_init(&c, keys, kinds, expected, previous, signed_list)) {
        check_free(&c);
        return NULL;
    }
    char message[512] = "";
    int failed = 0, header = 0;
    Py_BEGIN_ALLOW_THREADS
    PGconn *conn = PQconnectdb(conninfo);
    PGresult *res = NULL;
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(message, sizeof message, "%s", PQerrorMessage(conn));
    } else {
        res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COPY_OUT) {
            snprintf(message, sizeof message, "%s", PQerrorMessage(conn));
        } else {
            char *buf;
            int n;
            while ((n = PQgetCopyData(conn, &buf, 0)) > 0) {
                const unsigned char *p = (const unsigned char *)buf, *end = p + n;
                if (!header) {
                    if (n < 19 || memcmp(p, PGCOPY, 11) != 0) { c.bad = 1; PQfreemem(buf); break; }
                    uint32_t ext = be32(p + 15);
                    if ((int64_t)ext > end - (p + 19)) { c.bad = 1; PQfreemem(buf); break; }
                    p += 19 + ext;
                    header = 1;
                }
                if (!c.bad && p < end) {
                    long long fmt = 0;
                    const char *hash = NULL;
                    size_t hash_len = 0;
                    int r = pg_tuple(&c, p, end, &fmt, &hash, &hash_len);
                    if (r == 0) {
                        const value_t *id = &c.values[c.id_slot], *prev = &c.values[c.prev_slot];
                        r = id->type == V_INT && prev->type == V_TEXT
                                ? check_event(&c, fmt, id->v, prev->s, prev->n, hash, hash_len)
                                : 1;
                    }
                    if (r < 0) failed = 1;
                    if (r == 1) c.bad = 1;
                }
                PQfreemem(buf);
                if (c.bad || failed) break;
            }
            if (!c.bad && !failed && n == -2) {
                snprintf(message, sizeof message, "%s", PQerrorMessage(conn));
            }
        }
    }
    /* Stopping early just closes the connection: the server's COPY ends with it. */
    if (res) PQclear(res);
    PQfinish(conn);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (failed)
        PyErr_SetString(PyExc_RuntimeError, "out of memory");
    else if (message[0])
        PyErr_Format(PyExc_RuntimeError, "postgresql: %s", message);
    else
        result = check_result(&c);
    check_free(&c);
    return result;
}

static PyMethodDef methods[] = {
    {"scan_postgres", scan_postgres, METH_VARARGS,
     "scan_postgres(conninfo, copy_sql, keys, kinds, expected, previous, signed)\n"
     "-> (count, first_id, first_prev, last_id, last_hash, bad)"},
    {"sm3_hex", sm3_hex, METH_O, "sm3_hex(data) -> the SM3 of data, as 64 hex digits"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_chaincheck_pg", "The audit chain check loop over PostgreSQL.", -1,
    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__chaincheck_pg(void) {
    if (init_gcrypt()) return NULL;
    return PyModule_Create(&module);
}

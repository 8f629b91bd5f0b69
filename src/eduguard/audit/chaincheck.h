/* The audit chain's check loop, shared by the two readers (_chaincheck.c: SQLite;
 * _chaincheck_pg.c: PostgreSQL). Included once by each extension module; everything is static.
 *
 * Each event is serialised exactly as eduguard.audit.chain does for its chain_format:
 *   1: {"account":…,"action":…,…} — sorted keys, prev_hash inside; hash = SM3(canonical)
 *   2: [2,…values in key order, prev_hash left out…]; hash = SM3(prev digest ‖ canonical)
 * strings quoted like Python's json module with ensure_ascii=False (\" \\ \b \f \n \r \t,
 * other controls \u00xx, everything else raw). Then: contiguous ids, prev_hash equal to the
 * previous event's hash, content equal to its hash, signed checkpoint hashes. SM3 is
 * libgcrypt's (its AVX/BMI2 code is ~1.5x OpenSSL 3.0's generic C here).
 *
 * The loop never calls an event good that Python would call bad: any value it does not expect
 * (a float, a blob, an unknown format, a time not in the writer's form) makes it report the
 * range as not clean, and the Python row checker then names the problem (or finds none and
 * goes on). Readers release the GIL for the whole loop.
 */
#ifndef EDUGUARD_CHAINCHECK_H
#define EDUGUARD_CHAINCHECK_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <gcrypt.h>
#include <stdint.h>
#include <string.h>

#define HASH_HEX 64
#define MAX_KEYS 32

enum kind { K_TEXT = 's', K_INT = 'i', K_TIME = 't' };

/* A growable buffer for one event's hash input. */
typedef struct {
    char *data;
    size_t cap;
} buf_t;

static int buf_reserve(buf_t *b, size_t need) {
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static const char HEX[] = "0123456789abcdef";

/* Bytes that Python's json module escapes: controls, '"' and '\\'. */
static unsigned char ESCAPED[256];

static void init_escaped(void) {
    for (int c = 0; c < 0x20; c++) ESCAPED[c] = 1;
    ESCAPED['"'] = ESCAPED['\\'] = 1;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any of 8 bytes is a control, '"' or '\\' (bit tricks: a byte below 0x20, a byte
 * equal to 0x22 or 0x5c has its high bit set in the result). */
static int escapes_in(uint64_t x) {
    uint64_t quote = x ^ (ONES * '"'), backslash = x ^ (ONES * '\\');
    return (((x - ONES * 0x20) & ~x) | ((quote - ONES) & ~quote) |
            ((backslash - ONES) & ~backslash)) & HIGHS ? 1 : 0;
}

/* Python's json string quoting with ensure_ascii=False: 8 bytes at a time while none needs an
 * escape. Writes at most 6n + 2 bytes at o; returns the end. */
static char *write_quoted(char *o, const unsigned char *s, size_t n) {
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        uint64_t chunk;
        if (i + 8 <= n && (memcpy(&chunk, s + i, 8), !escapes_in(chunk))) {
            memcpy(o, &chunk, 8);
            o += 8;
            i += 8;
            continue;
        }
        unsigned char c = s[i++];
        if (!ESCAPED[c]) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = HEX[c >> 4]; *o++ = HEX[c & 15];
        }
    }
    *o++ = '"';
    return o;
}

/* At most 20 bytes. */
static char *write_int(char *o, long long v) {
    char tmp[24], *end = tmp + sizeof tmp, *p = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--p = '-';
    memcpy(o, p, (size_t)(end - p));
    return o + (end - p);
}

static void digits(char *o, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10) o[i] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite form) -> "\"YYYY-MM-DDTHH:MM:SS.ffffffZ\"",
 * as verify.canonical_sql does it: every space becomes T, nothing is escaped. n + 3 bytes. */
static char *write_time_text(char *o, const unsigned char *s, size_t n) {
    *o++ = '"';
    for (size_t i = 0; i < n; i++) *o++ = s[i] == ' ' ? 'T' : (char)s[i];
    *o++ = 'Z';
    *o++ = '"';
    return o;
}

/* Microseconds since 1970-01-01 UTC -> the same quoted form (civil_from_days, H. Hinnant). */
/* 29 bytes, or NULL when Python's datetime could not hold the time. */
static char *write_time_micros(char *o, int64_t us) {
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t micro = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y += 1;
    if (y < 1 || y > 9999) return NULL;
    char t[] = "\"0000-00-00T00:00:00.000000Z\"";
    digits(t + 1, y, 4);
    digits(t + 6, m, 2);
    digits(t + 9, d, 2);
    digits(t + 12, rem / 3600, 2);
    digits(t + 15, rem / 60 % 60, 2);
    digits(t + 18, rem % 60, 2);
    digits(t + 21, micro, 6);
    memcpy(o, t, sizeof t - 1);
    return o + sizeof t - 1;
}

/* ---- one event's values, whatever the source ------------------------------------------ */

enum vtype { V_NULL, V_TEXT, V_INT, V_TIME_TEXT, V_TIME_MICROS, V_BAD };

typedef struct {
    int type;
    const char *s;
    size_t n;
    int64_t v;
} value_t;

/* ---- shared state of one range check ------------------------------------------------ */

typedef struct {
    int nkeys;
    char kinds[MAX_KEYS];
    int id_slot, prev_slot;
    char *prefix[MAX_KEYS]; /* format 1: "{\"account\":" then ",\"action\":" ... */
    size_t prefix_len[MAX_KEYS];
    /* signed checkpoints, sorted by id */
    Py_ssize_t nsigned, next_signed;
    long long *signed_ids;
    char *signed_hashes; /* nsigned * 64 */
    /* progress */
    long long expected, count, first_id, last_id;
    char previous[HASH_HEX + 1];
    int have_previous;
    char first_prev[HASH_HEX + 1];
    char last_hash[HASH_HEX + 1];
    int bad, seen;
    unsigned char previous_digest[HASH_HEX / 2]; /* raw form of previous, once known */
    int have_previous_digest;
    gcry_md_hd_t md;
    buf_t row;
    value_t values[MAX_KEYS];
} check_t;

static void check_free(check_t *c) {
    for (int i = 0; i < c->nkeys; i++) free(c->prefix[i]);
    free(c->signed_ids);
    free(c->signed_hashes);
    free(c->row.data);
    if (c->md) gcry_md_close(c->md);
}

static int copy_hash(char dst[HASH_HEX + 1], PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -1;
    if (n != HASH_HEX) {
        PyErr_SetString(PyExc_ValueError, "a hash must be 64 hex digits");
        return -1;
    }
    memcpy(dst, s, HASH_HEX);
    dst[HASH_HEX] = 0;
    return 0;
}

/* keys: sequence of str (sorted canonical keys); kinds: 's'/'i'/'t' per key;
 * signed: list of (id, hash) sorted by id. */
static int check_init(check_t *c, PyObject *keys, const char *kinds, long long expected,
                      PyObject *previous, PyObject *signed_list) {
    memset(c, 0, sizeof *c);
    c->id_slot = c->prev_slot = -1;
    Py_ssize_t nkeys = PySequence_Size(keys);
    if (nkeys < 0) return -1;
    if (nkeys > MAX_KEYS || (Py_ssize_t)strlen(kinds) != nkeys) {
        PyErr_SetString(PyExc_ValueError, "keys and kinds do not match");
        return -1;
    }
    c->nkeys = (int)nkeys;
    for (int i = 0; i < c->nkeys; i++) {
        PyObject *key = PySequence_GetItem(keys, i);
        if (!key) return -1;
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(key, &n);
        if (!s) { Py_DECREF(key); return -1; }
        c->prefix[i] = malloc((size_t)n + 4);
        if (!c->prefix[i]) { Py_DECREF(key); PyErr_NoMemory(); return -1; }
        c->prefix[i][0] = i == 0 ? '{' : ',';
        c->prefix[i][1] = '"';
        memcpy(c->prefix[i] + 2, s, (size_t)n);
        c->prefix[i][n + 2] = '"';
        c->prefix[i][n + 3] = ':';
        c->prefix_len[i] = (size_t)n + 4;
        if (n == 2 && memcmp(s, "id", 2) == 0) c->id_slot = i;
        if (n == 9 && memcmp(s, "prev_hash", 9) == 0) c->prev_slot = i;
        Py_DECREF(key);
        c->kinds[i] = kinds[i];
    }
    if (c->id_slot < 0 || c->prev_slot < 0) {
        PyErr_SetString(PyExc_ValueError, "keys must include id and prev_hash");
        return -1;
    }
    c->expected = expected;
    if (previous != Py_None) {
        if (copy_hash(c->previous, previous)) return -1;
        c->have_previous = 1;
    }
    Py_ssize_t ns = PySequence_Size(signed_list);
    if (ns < 0) return -1;
    c->nsigned = ns;
    c->signed_ids = malloc(sizeof(long long) * (size_t)(ns + 1));
    c->signed_hashes = malloc((size_t)HASH_HEX * (size_t)(ns + 1));
    if (!c->signed_ids || !c->signed_hashes) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *pair = PySequence_GetItem(signed_list, i);
        if (!pair) return -1;
        long long sid;
        PyObject *shash;
        if (!PyArg_ParseTuple(pair, "LU", &sid, &shash)) { Py_DECREF(pair); return -1; }
        char tmp[HASH_HEX + 1];
        if (copy_hash(tmp, shash)) { Py_DECREF(pair); return -1; }
        c->signed_ids[i] = sid;
        memcpy(c->signed_hashes + i * HASH_HEX, tmp, HASH_HEX);
        Py_DECREF(pair);
    }
    if (gcry_md_open(&c->md, GCRY_MD_SM3, 0) != 0) {
        c->md = NULL;
        PyErr_SetString(PyExc_RuntimeError, "libgcrypt offers no SM3 here");
        return -1;
    }
    return 0;
}

static size_t value_bound(const value_t *v) {
    switch (v->type) {
    case V_TEXT: return v->n * 6 + 2;
    case V_TIME_TEXT: return v->n + 3;
    default: return 32;
    }
}

/* The value's JSON at o (value_bound bytes reserved); NULL when the row is not clean. */
static char *write_value(char *o, const value_t *v) {
    switch (v->type) {
    case V_NULL: memcpy(o, "null", 4); return o + 4;
    case V_TEXT: return write_quoted(o, (const unsigned char *)v->s, v->n);
    case V_INT: return write_int(o, (long long)v->v);
    case V_TIME_TEXT: return write_time_text(o, (const unsigned char *)v->s, v->n);
    case V_TIME_MICROS: return write_time_micros(o, v->v);
    default: return NULL;
    }
}

static int unhex(const char *s, unsigned char *out) {
    for (int i = 0; i < HASH_HEX / 2; i++) {
        int hi = s[2 * i], lo = s[2 * i + 1];
        hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
        lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
        if (hi < 0 || lo < 0) return 1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* Check c->values (one event, chain_format fmt) with its id, prev_hash and stored hash.
 * Returns 0 when good, 1 when the range is not clean (stop), -1 on a failure. */
static int check_event(check_t *c, long long fmt, long long id, const char *prev,
                       size_t prev_len, const char *hash, size_t hash_len) {
    if (!c->seen) {
        c->seen = 1;
        c->first_id = id;
        if (prev_len == HASH_HEX) memcpy(c->first_prev, prev, HASH_HEX);
        if (!c->have_previous && prev_len == HASH_HEX) {
            /* a later range: the caller checks the link into it */
            memcpy(c->previous, prev, HASH_HEX);
            c->have_previous = 1;
        }
    }
    if (id != c->expected || prev_len != HASH_HEX || hash_len != HASH_HEX) return 1;
    if (memcmp(prev, c->previous, HASH_HEX) != 0) return 1;
    /* One reservation for the whole event: the previous digest (format 2), the keys
     * (format 1) and each value's bound. */
    size_t need = HASH_HEX / 2 + 8;
    for (int k = 0; k < c->nkeys; k++) need += c->prefix_len[k] + value_bound(&c->values[k]);
    if (buf_reserve(&c->row, need)) return -1;
    char *start = c->row.data, *o = start;
    if (fmt == 1) {
        for (int k = 0; k < c->nkeys && o; k++) {
            memcpy(o, c->prefix[k], c->prefix_len[k]);
            o = write_value(o + c->prefix_len[k], &c->values[k]);
        }
        if (!o) return 1;
        *o++ = '}';
    } else if (fmt == 2) {
        /* SM3(previous digest ‖ canonical): prev equals the previous hash, whose raw digest
         * was just computed (but for the first event of a range). */
        if (c->have_previous_digest)
            memcpy(o, c->previous_digest, HASH_HEX / 2);
        else if (unhex(prev, (unsigned char *)o))
            return 1;
        o += HASH_HEX / 2;
        *o++ = '[';
        *o++ = '2';
        for (int k = 0; k < c->nkeys && o; k++) {
            if (k == c->prev_slot) continue;
            *o++ = ',';
            o = write_value(o, &c->values[k]);
        }
        if (!o) return 1;
        *o++ = ']';
    } else {
        return 1;
    }
    gcry_md_reset(c->md);
    gcry_md_write(c->md, start, (size_t)(o - start));
    const unsigned char *digest = gcry_md_read(c->md, GCRY_MD_SM3);
    if (!digest) return -1;
    char hex[HASH_HEX];
    for (int i = 0; i < HASH_HEX / 2; i++) {
        hex[2 * i] = HEX[digest[i] >> 4];
        hex[2 * i + 1] = HEX[digest[i] & 15];
    }
    if (memcmp(hex, hash, HASH_HEX) != 0) return 1;
    while (c->next_signed < c->nsigned && c->signed_ids[c->next_signed] < id) c->next_signed++;
    if (c->next_signed < c->nsigned && c->signed_ids[c->next_signed] == id &&
        memcmp(c->signed_hashes + c->next_signed * HASH_HEX, hash, HASH_HEX) != 0)
        return 1;
    memcpy(c->previous, hash, HASH_HEX);
    memcpy(c->previous_digest, digest, sizeof c->previous_digest);
    c->have_previous_digest = 1;
    memcpy(c->last_hash, hash, HASH_HEX);
    c->last_id = id;
    c->count++;
    c->expected++;
    return 0;
}

/* (count, first_id, first_prev, last_id, last_hash, bad); None where nothing was seen. */
static PyObject *check_result(check_t *c) {
    PyObject *bad = c->bad ? Py_True : Py_False;
    if (!c->seen)
        return Py_BuildValue("(nOOOOO)", (Py_ssize_t)0, Py_None, Py_None, Py_None, Py_None,
                             bad);
    if (c->count == 0)
        return Py_BuildValue("(nLs#OOO)", (Py_ssize_t)0, c->first_id, c->first_prev,
                             (Py_ssize_t)HASH_HEX, Py_None, Py_None, bad);
    return Py_BuildValue("(nLs#Ls#O)", (Py_ssize_t)c->count, c->first_id, c->first_prev,
                         (Py_ssize_t)HASH_HEX, c->last_id, c->last_hash, (Py_ssize_t)HASH_HEX,
                         bad);
}

/* sm3_hex(data) -> str: the hash this module computes, for tests against OpenSSL's. */
static PyObject *sm3_hex(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE)) return NULL;
    unsigned char digest[HASH_HEX / 2];
    gcry_md_hash_buffer(GCRY_MD_SM3, digest, data.buf, (size_t)data.len);
    PyBuffer_Release(&data);
    char hex[HASH_HEX];
    for (int i = 0; i < HASH_HEX / 2; i++) {
        hex[2 * i] = HEX[digest[i] >> 4];
        hex[2 * i + 1] = HEX[digest[i] & 15];
    }
    return PyUnicode_FromStringAndSize(hex, HASH_HEX);
}


/* libgcrypt must be initialised before use; only hash functions are used (no secure memory),
 * so initialisation is finished at once unless the process did it already. 0 on success. */
static int init_gcrypt(void) {
    init_escaped();
    if (!gcry_check_version(GCRYPT_VERSION)) {
        PyErr_SetString(PyExc_ImportError, "libgcrypt is older than the headers built against");
        return -1;
    }
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    if (gcry_md_test_algo(GCRY_MD_SM3)) {
        PyErr_SetString(PyExc_ImportError, "libgcrypt offers no SM3 here");
        return -1;
    }
    return 0;
}

#endif

/* dlrkit._lane: the fast lane's loop (dlrkit/fastlane.py) for the usual line, in C.
 *
 * `encode_lines(lines, lane, seen, owns)` gives, per line, what `InfobipSmsLane._line` gives (the
 * general path's outcome bytes, or None), byte for byte, appends each outcome's kind to `seen`
 * and, for Parquet output, its own fields as values to `owns` (see own_of):
 * tests/test_fastlane.py runs its parity tests on both loops. It reads by itself only the lines
 * that are one Infobip SMS report written the way msgspec writes it (compact JSON, as most
 * encoders write it and as our generator writes Infobip's documented report):
 *
 *     {"results":[{"bulkId":"...","messageId":"...",...,"error":{...}}]}
 *
 * printable ASCII with no backslash, no space between tokens, the keys of `fastlane._Result`
 * each at most once and in its order, strings where it has strings, integers written as msgspec
 * writes them (no leading zero, no "-0"), objects (or null) for price, status and error. For such
 * a line the Python loop's typed decode and its canonical check (`encode(envelope) == line`) are
 * known to succeed, so this file finds the same values by scanning the bytes once. Any other line
 * goes to `lane._line` (Python), which is the reference. Memos are the lane's own dicts; a miss
 * asks the lane's Python methods, which fill them, so both paths share every decision.
 *
 * The objects (price, status, error) are kept as their bytes, as `msgspec.Raw` keeps them: the
 * lane's `_row_of` decodes and judges them on a miss (a malformed one gives no row, and the line
 * is declined, as the Python loop declines a line msgspec cannot decode).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum {
    F_BULK, F_MID, F_TO, F_SENT, F_DONE, F_SMS, F_MSGS, F_MCC, F_CB,
    F_PRICE, F_STATUS, F_ERROR, F_ENTITY, F_APP, NFIELDS
};

/* The keys of fastlane._Result, in its order, and the kind of value each holds:
 * 's' a string, 'i' an integer, 'o' an object (all three may also be null). */
static const struct {
    const char *name;
    Py_ssize_t len;
    char kind;
} FIELDS[NFIELDS] = {
    {"bulkId", 6, 's'},       {"messageId", 9, 's'}, {"to", 2, 's'},
    {"sentAt", 6, 's'},       {"doneAt", 6, 's'},    {"smsCount", 8, 'i'},
    {"messageCount", 12, 'i'}, {"mccMnc", 6, 's'},    {"callbackData", 12, 's'},
    {"price", 5, 'o'},        {"status", 6, 'o'},    {"error", 5, 'o'},
    {"entityId", 8, 's'},     {"applicationId", 13, 's'},
};

enum { ABSENT = 0, NUL = 1, VALUE = 2 };

typedef struct {
    const char *p; /* a string's characters (no quotes), an integer's digits, an object's bytes */
    Py_ssize_t n;
    int state;
    long long number; /* an integer's value */
} Field;

static const char PREFIX[] = "{\"results\":[{";
#define PREFIX_LEN 13
#define SUFFIX_LEN 3 /* "}]}" */

/* A scanned line holds only printable ASCII but the backslash (see all_plain). */

/* 1 if every byte of s[0:n] is plain; written without an early exit so that the compiler
 * checks many bytes an instruction. */
static inline int all_plain(const char *s, Py_ssize_t n) {
    unsigned char bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bad |= (unsigned char)((c < 0x20) | (c >= 0x7f) | (c == '\\'));
    }
    return !bad;
}

/* The closing quote of the string whose characters start at `p`, or NULL (the line is plain,
 * so the next quote closes it). */
static inline const char *string_end(const char *p, const char *end) {
    return memchr(p, '"', (size_t)(end - p));
}

/* What object_end looks at: 1 quote, 2 opening, 3 closing brace, 4 closing bracket. */
static unsigned char STRUCTURAL[256];

/* The end of the object starting at `p` (just past its closing brace), or NULL. */
static const char *object_end(const char *p, const char *end) {
    int depth = 0;
    for (; p < end; p++) {
        switch (STRUCTURAL[(unsigned char)*p]) {
        case 0:
            break;
        case 1:
            if ((p = string_end(p + 1, end)) == NULL) return NULL;
            break;
        case 2:
            depth++;
            break;
        default:
            if (--depth == 0) return STRUCTURAL[(unsigned char)*p] == 3 ? p + 1 : NULL;
            if (depth < 0) return NULL;
        }
    }
    return NULL;
}

/* 1 if `line` is one report written as described at the top; its values in `f`. */
static int scan(const char *s, Py_ssize_t n, Field *f) {
    if (n < PREFIX_LEN + SUFFIX_LEN + 2 || memcmp(s, PREFIX, PREFIX_LEN) != 0 ||
        memcmp(s + n - SUFFIX_LEN, "}]}", SUFFIX_LEN) != 0 ||
        !all_plain(s + PREFIX_LEN, n - PREFIX_LEN - SUFFIX_LEN))
        return 0;
    for (int i = 0; i < NFIELDS; i++) f[i].state = ABSENT;
    const char *p = s + PREFIX_LEN, *end = s + n - SUFFIX_LEN;
    int next = 0; /* keys come in FIELDS' order, each at most once */
    for (;;) {
        if (p >= end || *p != '"') return 0;
        const char *key = p + 1;
        const char *q = string_end(key, end);
        if (q == NULL) return 0;
        Py_ssize_t len = q - key;
        int i = next;
        while (i < NFIELDS && !(FIELDS[i].len == len && FIELDS[i].name[0] == key[0] &&
                                memcmp(FIELDS[i].name, key, (size_t)len) == 0))
            i++;
        if (i == NFIELDS) return 0; /* unknown, repeated or out of order */
        next = i + 1;
        p = q + 1;
        if (p >= end || *p != ':') return 0;
        p++;
        Field *v = &f[i];
        if (end - p >= 4 && p[0] == 'n' && p[1] == 'u' && p[2] == 'l' && p[3] == 'l') {
            v->state = NUL;
            v->p = p;
            v->n = 4;
            p += 4;
        } else if (FIELDS[i].kind == 's') {
            if (p >= end || *p != '"') return 0;
            if ((q = string_end(p + 1, end)) == NULL) return 0;
            v->state = VALUE;
            v->p = p + 1;
            v->n = q - p - 1;
            p = q + 1;
        } else if (FIELDS[i].kind == 'i') {
            const char *start = p;
            int negative = p < end && *p == '-';
            if (negative) p++;
            const char *digits = p;
            long long value = 0;
            while (p < end && *p >= '0' && *p <= '9') {
                value = value * 10 + (*p - '0');
                p++;
            }
            Py_ssize_t count = p - digits;
            /* as msgspec writes an int: no leading zero, no "-0", and well within int64 */
            if (count == 0 || count > 18 || (digits[0] == '0' && (count > 1 || negative)))
                return 0;
            v->state = VALUE;
            v->p = start;
            v->n = p - start;
            v->number = negative ? -value : value;
        } else {
            if (p >= end || *p != '{') return 0;
            if ((q = object_end(p, end)) == NULL) return 0;
            v->state = VALUE;
            v->p = p;
            v->n = q - p;
            p = q;
        }
        if (p == end) return 1;
        if (*p != ',') return 0;
        p++;
    }
}

/* What one call keeps at hand: the lane's memos, methods and constants. */
typedef struct {
    PyObject *lane, *seen;
    PyObject *owns;      /* a list for each outcome's own fields (see own_of), or NULL */
    PyObject *tails;     /* lane._tails: a number's record tail -> (country, operator) */
    PyObject *rows;      /* lane._scanned: composite key (bytes) -> _Row or None */
    PyObject *heads;     /* lane._heads */
    PyObject *seconds;   /* lane._seconds */
    PyObject *fractions; /* fastlane._FRACTIONS */
    PyObject *unset;     /* msgspec.UNSET */
    Py_ssize_t max_memo;
} Ctx;

/* Small direct-mapped caches in front of the lane's big memos (a dict of ~86,400 seconds or
 * thousands of number heads misses the CPU's caches; these are 4,096 slots, indexed by a hash of
 * the key's characters, each holding the key and a reference to the memo's value). The values
 * are pure functions of their keys (`fastlane._second`, `InfobipSmsLane._head`), and the caches
 * are emptied whenever another lane calls, so an answer here is always the memo's. */
#define SLOTS 4096
typedef struct {
    char key[20];
    Py_ssize_t len;
    PyObject *value;
} Slot;
static Slot SECONDS[SLOTS], HEADS[SLOTS];
static PyObject *OWNER; /* the lane the caches are for: a reference is kept, so that no other
                          * lane can be allocated at its address while the caches hold its rows */

static void forget(Slot *slots) {
    for (int i = 0; i < SLOTS; i++) Py_CLEAR(slots[i].value);
}

static inline Slot *slot_for(Slot *slots, const char *key, Py_ssize_t len) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (Py_ssize_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 16777619u;
    return &slots[h & (SLOTS - 1)];
}

/* The memo's value for a key of up to 20 ASCII characters, through the cache (borrowed; NULL
 * with no error when the memo does not have it). */
static PyObject *cached(Slot *slots, PyObject *memo, const char *key, Py_ssize_t len) {
    Slot *slot = slot_for(slots, key, len);
    if (slot->value != NULL && slot->len == len && memcmp(slot->key, key, (size_t)len) == 0)
        return slot->value;
    PyObject *text = PyUnicode_DecodeASCII(key, len, NULL);
    if (text == NULL) return NULL;
    PyObject *value = PyDict_GetItemWithError(memo, text);
    Py_DECREF(text);
    if (value != NULL && len <= 20) {
        memcpy(slot->key, key, (size_t)len);
        slot->len = len;
        Py_XSETREF(slot->value, Py_NewRef(value));
    }
    return value;
}

/* _FRACTIONS' values by milliseconds, for ".ddd+0000" (filled at the first call). */
static PyObject *FRACTION[1000];

static PyObject *S_line, *S_row_of, *S_head, *S_recipient, *S_time, *S_raw, *S_scanned;
static PyObject *S_tails, *S_tail, *S_value, *S_recipient_values;
static PyObject *S_heads, *S_seconds, *S_FRACTIONS, *S_UNSET, *S_MAX_MEMO;

/* A field as the Python loop sees it: str, int, None or UNSET (new reference). */
static PyObject *value_of(const Field *v, char kind, PyObject *unset) {
    if (v->state == ABSENT) return Py_NewRef(unset);
    if (v->state == NUL) Py_RETURN_NONE;
    if (kind == 'i') return PyLong_FromLongLong(v->number);
    return PyUnicode_DecodeASCII(v->p, v->n, NULL);
}

/* The rows of recent keys (see row_of), a direct-mapped cache like SECONDS and HEADS. */
#define ROW_SLOTS 1024
typedef struct {
    PyObject *key; /* bytes */
    PyObject *row;
} RowSlot;
static RowSlot ROWS[ROW_SLOTS];

static void forget_rows(void) {
    for (int i = 0; i < ROW_SLOTS; i++) {
        Py_CLEAR(ROWS[i].key);
        Py_CLEAR(ROWS[i].row);
    }
}

static inline uint64_t hash_bytes(const char *p, Py_ssize_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ word) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    for (; n > 0; p++, n--) h = (h ^ (unsigned char)*p) * 0x100000001B3ull;
    return h ^ (h >> 32);
}

static PyObject *remembered(Ctx *c, const Field *f, PyObject *key);

/* The _Row for the line's price, status, error and segment counts: the memo of scanned keys,
 * else `lane._row_of(status, error, price, smsCount, messageCount)` (a new reference; NULL on
 * error). */
static PyObject *row_of(Ctx *c, const Field *f) {
    /* The key: per part, its state and length (raw bytes), then the parts' bytes, so that no
     * two different lines share one. It is put together on the stack: most lines find their
     * row in the ROWS cache and need no bytes object. */
    char buf[2048];
    const int order[5] = {F_SMS, F_MSGS, F_PRICE, F_STATUS, F_ERROR};
    Py_ssize_t len = 0;
    for (int k = 0; k < 5; k++) {
        const Field *v = &f[order[k]];
        len += 1 + (Py_ssize_t)sizeof(Py_ssize_t) + (v->state == VALUE ? v->n : 0);
    }
    PyObject *key = NULL;
    char *w = buf;
    if (len > (Py_ssize_t)sizeof buf) { /* unusually long parts: straight into a bytes object */
        if ((key = PyBytes_FromStringAndSize(NULL, len)) == NULL) return NULL;
        w = PyBytes_AS_STRING(key);
    }
    const char *start = w;
    for (int k = 0; k < 5; k++) {
        const Field *v = &f[order[k]];
        Py_ssize_t n = v->state == VALUE ? v->n : 0;
        *w++ = (char)v->state;
        memcpy(w, &n, sizeof n);
        w += sizeof n;
        if (n) {
            memcpy(w, v->p, (size_t)n);
            w += n;
        }
    }
    RowSlot *slot = &ROWS[hash_bytes(start, len) & (ROW_SLOTS - 1)];
    if (slot->key != NULL && PyBytes_GET_SIZE(slot->key) == len &&
        memcmp(PyBytes_AS_STRING(slot->key), start, (size_t)len) == 0) {
        Py_XDECREF(key);
        return Py_NewRef(slot->row);
    }
    if (key == NULL && (key = PyBytes_FromStringAndSize(buf, len)) == NULL) return NULL;
    PyObject *row = remembered(c, f, key);
    if (row != NULL) {
        Py_XSETREF(slot->key, key);
        Py_XSETREF(slot->row, Py_NewRef(row));
    } else {
        Py_DECREF(key);
    }
    return row;
}

/* The row for a key the cache did not have: the lane's memo of scanned keys, else the lane's
 * `_row_of` (a new reference; NULL on error). */
static PyObject *remembered(Ctx *c, const Field *f, PyObject *key) {
    PyObject *row = PyDict_GetItemWithError(c->rows, key);
    if (row != NULL || PyErr_Occurred()) return Py_XNewRef(row);
    /* A miss: the lane decides, from the same values the Python loop would pass. */
    PyObject *args[6] = {c->lane, NULL, NULL, NULL, NULL, NULL};
    const int raws[3] = {F_STATUS, F_ERROR, F_PRICE};
    for (int k = 0; k < 3; k++) {
        const Field *v = &f[raws[k]];
        args[1 + k] = PyBytes_FromStringAndSize(v->state == ABSENT ? "" : v->p,
                                                v->state == ABSENT ? 0 : v->n);
    }
    args[4] = value_of(&f[F_SMS], 'i', c->unset);
    args[5] = value_of(&f[F_MSGS], 'i', c->unset);
    row = NULL;
    if (args[1] && args[2] && args[3] && args[4] && args[5])
        row = PyObject_VectorcallMethod(S_row_of, args, 6 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    for (int k = 1; k < 6; k++) Py_XDECREF(args[k]);
    if (row == NULL) return NULL;
    if (PyDict_GET_SIZE(c->rows) >= c->max_memo) PyDict_Clear(c->rows);
    if (PyDict_SetItem(c->rows, key, row) < 0) Py_CLEAR(row);
    return row;
}

/* lane.<method>(value) for a field, as the Python loop calls it (new reference). */
static PyObject *call_with(Ctx *c, PyObject *method, const Field *v, char kind) {
    PyObject *arg = value_of(v, kind, c->unset);
    if (arg == NULL) return NULL;
    PyObject *args[2] = {c->lane, arg};
    PyObject *out = PyObject_VectorcallMethod(method, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(arg);
    return out;
}

/* A timestamp's bytes: its second and fraction from the memos, else lane._time(value) alone;
 * new references in out[0] and out[1] (NULL when lane._time answered). */
static int time_of(Ctx *c, const Field *v, PyObject **out) {
    out[0] = out[1] = NULL;
    if (v->state == VALUE) {
        Py_ssize_t cut = v->n < 19 ? v->n : 19;
        PyObject *second = cached(SECONDS, c->seconds, v->p, cut);
        if (second == NULL && PyErr_Occurred()) return -1;
        if (second != NULL) {
            const char *t = v->p + cut;
            PyObject *fraction = NULL;
            if (v->n - cut == 9 && t[0] == '.' && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' &&
                t[2] <= '9' && t[3] >= '0' && t[3] <= '9' && memcmp(t + 4, "+0000", 5) == 0) {
                fraction = FRACTION[(t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0')];
            } else {
                PyObject *rest = PyUnicode_DecodeASCII(t, v->n - cut, NULL);
                if (rest == NULL) return -1;
                fraction = PyDict_GetItemWithError(c->fractions, rest);
                Py_DECREF(rest);
                if (fraction == NULL && PyErr_Occurred()) return -1;
            }
            if (fraction != NULL) {
                if (!PyBytes_Check(second) || !PyBytes_Check(fraction)) {
                    PyErr_SetString(PyExc_TypeError, "the lane's time memos must hold bytes");
                    return -1;
                }
                out[0] = Py_NewRef(second);
                out[1] = Py_NewRef(fraction);
                return 0;
            }
        }
    }
    out[0] = call_with(c, S_time, v, 's');
    if (out[0] == NULL) return -1;
    if (!PyBytes_Check(out[0])) {
        PyErr_SetString(PyExc_TypeError, "lane._time must return bytes");
        return -1;
    }
    return 0;
}

/* FRACTION from _FRACTIONS, once. */
static int load_fractions(PyObject *fractions) {
    if (FRACTION[999] != NULL) return 0;
    for (int ms = 0; ms < 1000; ms++) {
        char key[10];
        snprintf(key, sizeof key, ".%03d+0000", ms);
        PyObject *value = PyDict_GetItemString(fractions, key);
        if (value == NULL || !PyBytes_Check(value)) {
            PyErr_Format(PyExc_ValueError, "_FRACTIONS has no bytes for %s", key);
            return -1;
        }
        FRACTION[ms] = Py_NewRef(value);
    }
    return 0;
}

/* A str of ASCII pieces, or NULL on error. */
static PyObject *ascii_str(const char *a, Py_ssize_t an, const char *b, Py_ssize_t bn) {
    PyObject *text = PyUnicode_New(an + bn, 127);
    if (text == NULL) return NULL;
    memcpy(PyUnicode_1BYTE_DATA(text), a, (size_t)an);
    memcpy(PyUnicode_1BYTE_DATA(text) + an, b, (size_t)bn);
    return text;
}

/* A timestamp's value: "YYYY-MM-DDTHH:MM:SS" + fraction from its memo pieces (the second with
 * its opening quote, the fraction with its closing one), or what lane._value reads in the
 * record piece lane._time gave (new reference). */
static PyObject *time_value(Ctx *c, PyObject *const *pieces) {
    if (pieces[1] != NULL)
        return ascii_str(PyBytes_AS_STRING(pieces[0]) + 1, PyBytes_GET_SIZE(pieces[0]) - 1,
                         PyBytes_AS_STRING(pieces[1]), PyBytes_GET_SIZE(pieces[1]) - 1);
    PyObject *args[2] = {c->lane, pieces[0]};
    return PyObject_VectorcallMethod(S_value, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* The outcome's own fields, as `sinks._Own` decodes them from its line (message_id,
 * recipient, recipient_raw, country, operator, sender, sent_at, done_at, raw), for Parquet
 * output; `found` is the number's memo pair or NULL, then `recipient` is lane._recipient's
 * piece (new reference; NULL on error). */
static PyObject *own_of(Ctx *c, const Field *mid, const Field *to, PyObject *found,
                        PyObject *recipient, PyObject *const *sent, PyObject *const *done_at,
                        const char *raw, Py_ssize_t raw_n) {
    PyObject *own = PyTuple_New(9);
    if (own == NULL) return NULL;
    PyObject *v;
#define SET(i, value)                  \
    if ((v = (value)) == NULL) {       \
        Py_DECREF(own);                \
        return NULL;                   \
    }                                  \
    PyTuple_SET_ITEM(own, i, v)
    SET(0, PyUnicode_DecodeASCII(mid->p, mid->n, NULL));
    if (found != NULL) {
        PyObject *head = PyTuple_GET_ITEM(found, 0), *tail = PyTuple_GET_ITEM(found, 1);
        int plus = PyBytes_AS_STRING(head)[PyBytes_GET_SIZE(head) - 1] == '+';
        SET(1, ascii_str("+", plus, to->p, to->n));
        SET(2, PyUnicode_DecodeASCII(to->p, to->n, NULL));
        PyObject *pair = PyDict_GetItemWithError(c->tails, tail);
        if (pair != NULL) {
            Py_INCREF(pair);
        } else if (!PyErr_Occurred()) {
            PyObject *args[2] = {c->lane, tail};
            pair = PyObject_VectorcallMethod(S_tail, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        }
        if (pair == NULL || !PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            if (pair != NULL) PyErr_SetString(PyExc_TypeError, "lane._tail must give a pair");
            Py_XDECREF(pair);
            Py_DECREF(own);
            return NULL;
        }
        SET(3, Py_NewRef(PyTuple_GET_ITEM(pair, 0)));
        SET(4, Py_NewRef(PyTuple_GET_ITEM(pair, 1)));
        Py_DECREF(pair);
    } else {
        PyObject *args[2] = {c->lane, recipient};
        PyObject *four =
            PyObject_VectorcallMethod(S_recipient_values, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (four == NULL || !PyTuple_Check(four) || PyTuple_GET_SIZE(four) != 4) {
            if (four != NULL)
                PyErr_SetString(PyExc_TypeError, "lane._recipient_values must give 4 values");
            Py_XDECREF(four);
            Py_DECREF(own);
            return NULL;
        }
        for (int i = 0; i < 4; i++) PyTuple_SET_ITEM(own, 1 + i, Py_NewRef(PyTuple_GET_ITEM(four, i)));
        Py_DECREF(four);
    }
    SET(5, Py_NewRef(Py_None)); /* the lane declines reports with a sender */
    SET(6, time_value(c, sent));
    SET(7, time_value(c, done_at));
    SET(8, PyBytes_FromStringAndSize(raw, raw_n));
#undef SET
    return own;
}

#define MAX_PIECES 24

/* One scanned line's outcome (new reference), or None when the lane declines it. */
static PyObject *encode_scanned(Ctx *c, PyObject *line, const Field *f) {
    PyObject *row = row_of(c, f);
    if (row == NULL) return NULL;
    const Field *mid = &f[F_MID], *to = &f[F_TO];
    if (row == Py_None || mid->state != VALUE || mid->n == 0) {
        Py_DECREF(row);
        Py_RETURN_NONE;
    }
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) < 3) {
        Py_DECREF(row);
        PyErr_SetString(PyExc_TypeError, "lane rows must be _Row tuples");
        return NULL;
    }
    /* new references to release: the row, the recipient's pieces, the times' pieces */
    PyObject *owned[7] = {row, NULL, NULL, NULL, NULL, NULL, NULL};
    PyObject *result = NULL;
    const char *piece[MAX_PIECES];
    Py_ssize_t size[MAX_PIECES];
    int np = 0;
#define ADD(ptr, len) (piece[np] = (ptr), size[np] = (len), np++)
#define ADD_BYTES(obj) ADD(PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj))

    /* The recipient: an all-digits number from the memo of its head (all but its last five
     * digits), else lane._head; other numbers lane._recipient; an address declines the line. */
    PyObject *found = NULL;
    int digits = to->state == VALUE && to->n > 0;
    for (Py_ssize_t i = 0; digits && i < to->n; i++) digits = to->p[i] >= '0' && to->p[i] <= '9';
    if (digits) {
        found = cached(HEADS, c->heads, to->p, to->n > 5 ? to->n - 5 : 0);
        if (found == NULL && PyErr_Occurred()) goto done;
        if (found == NULL || !PyObject_IsTrue(found))
            found = call_with(c, S_head, to, 's');
        else
            Py_INCREF(found);
        if ((owned[1] = found) == NULL) goto done;
        if (found == Py_None) found = NULL;
    }
    PyObject *recipient = NULL;
    if (found == NULL) {
        if (to->state == VALUE && memchr(to->p, '@', (size_t)to->n) != NULL) {
            result = Py_NewRef(Py_None); /* an e-mail report */
            goto done;
        }
        recipient = owned[2] = call_with(c, S_recipient, to, 's');
        if (recipient == NULL) goto done;
        if (!PyBytes_Check(recipient)) {
            PyErr_SetString(PyExc_TypeError, "lane._recipient must return bytes");
            goto done;
        }
    } else if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2 ||
               !PyBytes_Check(PyTuple_GET_ITEM(found, 0)) ||
               !PyBytes_Check(PyTuple_GET_ITEM(found, 1))) {
        PyErr_SetString(PyExc_TypeError, "lane heads must be pairs of bytes");
        goto done;
    }

    PyObject **sent = &owned[3], **done_at = &owned[5];
    if (time_of(c, &f[F_SENT], sent) < 0 || time_of(c, &f[F_DONE], done_at) < 0)
        goto done;

    PyObject *row_head = PyTuple_GET_ITEM(row, 0), *canonical = PyTuple_GET_ITEM(row, 1);
    PyObject *row_middle = PyTuple_GET_ITEM(row, 2);
    if (!PyBytes_Check(row_head) || !PyBytes_Check(row_middle)) {
        PyErr_SetString(PyExc_TypeError, "lane rows must hold bytes");
        goto done;
    }
    PyObject *raw_owned = NULL;
    const char *raw;
    Py_ssize_t raw_n;
    if (canonical == Py_True) { /* the line is `{"results":[<the report, canonical>]}` */
        raw = PyBytes_AS_STRING(line) + 12;
        raw_n = PyBytes_GET_SIZE(line) - 14;
    } else {
        PyObject *args[2] = {c->lane, line};
        raw_owned = PyObject_VectorcallMethod(S_raw, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (raw_owned == NULL) goto done;
        if (!PyBytes_Check(raw_owned)) {
            Py_DECREF(raw_owned);
            PyErr_SetString(PyExc_TypeError, "lane._raw must return bytes");
            goto done;
        }
        raw = PyBytes_AS_STRING(raw_owned);
        raw_n = PyBytes_GET_SIZE(raw_owned);
    }

    ADD("{\"message_id\":\"", 15);
    ADD(mid->p, mid->n);
    ADD("\"", 1);
    ADD_BYTES(row_head);
    if (found != NULL) {
        ADD_BYTES(PyTuple_GET_ITEM(found, 0));
        ADD(to->p, to->n);
        ADD("\",\"recipient_raw\":\"", 19);
        ADD(to->p, to->n);
        ADD_BYTES(PyTuple_GET_ITEM(found, 1));
    } else {
        ADD_BYTES(recipient);
    }
    ADD(",\"sender\":null,\"sent_at\":", 25);
    ADD_BYTES(sent[0]);
    if (sent[1] != NULL) ADD_BYTES(sent[1]);
    ADD(",\"done_at\":", 11);
    ADD_BYTES(done_at[0]);
    if (done_at[1] != NULL) ADD_BYTES(done_at[1]);
    ADD_BYTES(row_middle);
    ADD(raw, raw_n);
    ADD("}\n", 2);
#undef ADD
#undef ADD_BYTES

    Py_ssize_t total = 0;
    for (int i = 0; i < np; i++) total += size[i];
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result != NULL) {
        char *w = PyBytes_AS_STRING(result);
        for (int i = 0; i < np; i++) {
            memcpy(w, piece[i], (size_t)size[i]);
            w += size[i];
        }
        if (PyList_Append(c->seen, row) < 0) Py_CLEAR(result);
    }
    if (result != NULL && c->owns != NULL) {
        PyObject *own = own_of(c, mid, to, found, recipient, sent, done_at, raw, raw_n);
        if (own == NULL || PyList_Append(c->owns, own) < 0) Py_CLEAR(result);
        Py_XDECREF(own);
    }
    Py_XDECREF(raw_owned);
done:
    for (int i = 0; i < 7; i++) Py_XDECREF(owned[i]);
    return result;
}

static PyObject *encode_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 4 || !PyList_Check(args[0]) || !PyList_Check(args[2]) ||
        !(args[3] == Py_None || PyList_Check(args[3]))) {
        PyErr_SetString(PyExc_TypeError,
                        "encode_lines(lines: list[bytes], lane, seen: list, owns: list | None)");
        return NULL;
    }
    PyObject *lines = args[0];
    Ctx c = {.lane = args[1], .seen = args[2], .owns = args[3] == Py_None ? NULL : args[3]};
    PyObject *fastlane = NULL, *out = NULL, *max_memo = NULL;
    c.rows = PyObject_GetAttr(c.lane, S_scanned);
    c.heads = PyObject_GetAttr(c.lane, S_heads);
    c.seconds = PyObject_GetAttr(c.lane, S_seconds);
    c.tails = PyObject_GetAttr(c.lane, S_tails);
    fastlane = PyImport_ImportModule("dlrkit.fastlane");
    if (!c.rows || !c.heads || !c.seconds || !c.tails || !fastlane) goto fail;
    c.fractions = PyObject_GetAttr(fastlane, S_FRACTIONS);
    c.unset = PyObject_GetAttr(fastlane, S_UNSET);
    max_memo = PyObject_GetAttr(fastlane, S_MAX_MEMO);
    if (!c.fractions || !c.unset || !max_memo) goto fail;
    if (!PyDict_CheckExact(c.rows) || !PyDict_CheckExact(c.heads) ||
        !PyDict_CheckExact(c.seconds) || !PyDict_CheckExact(c.fractions) ||
        !PyDict_CheckExact(c.tails)) {
        PyErr_SetString(PyExc_TypeError, "the lane's memos must be dicts");
        goto fail;
    }
    c.max_memo = PyLong_AsSsize_t(max_memo);
    if (c.max_memo < 0 || load_fractions(c.fractions) < 0) goto fail;
    if (OWNER != c.lane) {
        forget(SECONDS);
        forget(HEADS);
        forget_rows();
        Py_XSETREF(OWNER, Py_NewRef(c.lane));
    }

    Py_ssize_t n = PyList_GET_SIZE(lines), declined = 0;
    out = PyList_New(n);
    if (out == NULL) goto fail;
    Field f[NFIELDS];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i), *done;
        if (PyBytes_CheckExact(line) && scan(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line), f)) {
            done = encode_scanned(&c, line, f);
        } else {
            Py_ssize_t before = PyList_GET_SIZE(c.seen);
            PyObject *call[3] = {c.lane, line, c.seen};
            done = PyObject_VectorcallMethod(S_line, call, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
            /* Python's outcomes: their own fields are read from their lines (see sinks) */
            for (Py_ssize_t k = before; done != NULL && c.owns && k < PyList_GET_SIZE(c.seen); k++)
                if (PyList_Append(c.owns, Py_None) < 0) Py_CLEAR(done);
        }
        if (done == NULL) goto fail;
        declined += done == Py_None;
        PyList_SET_ITEM(out, i, done);
    }
    Py_DECREF(c.rows);
    Py_DECREF(c.heads);
    Py_DECREF(c.seconds);
    Py_DECREF(c.tails);
    Py_DECREF(c.fractions);
    Py_DECREF(c.unset);
    Py_DECREF(max_memo);
    Py_DECREF(fastlane);
    return Py_BuildValue("(Nn)", out, declined);
fail:
    Py_XDECREF(out);
    Py_XDECREF(c.rows);
    Py_XDECREF(c.heads);
    Py_XDECREF(c.seconds);
    Py_XDECREF(c.tails);
    Py_XDECREF(c.fractions);
    Py_XDECREF(c.unset);
    Py_XDECREF(max_memo);
    Py_XDECREF(fastlane);
    return NULL;
}

static PyMethodDef methods[] = {
    {"encode_lines", (PyCFunction)(void (*)(void))encode_lines, METH_FASTCALL,
     "encode_lines(lines, lane, seen, owns) -> (outcomes, declined): per line, its outcome bytes "
     "or None, as lane._line gives them; the kind of each outcome is appended to seen, and, when "
     "owns is a list, its own fields (or None: read them from its line) to owns."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "dlrkit._lane",
    .m_doc = "The fast lane's loop for the usual Infobip SMS report line (see dlrkit.fastlane).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__lane(void) {
#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL
    INTERN(S_line, "_line");
    INTERN(S_row_of, "_row_of");
    INTERN(S_head, "_head");
    INTERN(S_recipient, "_recipient");
    INTERN(S_time, "_time");
    INTERN(S_raw, "_raw");
    INTERN(S_scanned, "_scanned");
    INTERN(S_tails, "_tails");
    INTERN(S_tail, "_tail");
    INTERN(S_value, "_value");
    INTERN(S_recipient_values, "_recipient_values");
    INTERN(S_heads, "_heads");
    INTERN(S_seconds, "_seconds");
    INTERN(S_FRACTIONS, "_FRACTIONS");
    INTERN(S_UNSET, "UNSET");
    INTERN(S_MAX_MEMO, "_MAX_MEMO");
#undef INTERN
    STRUCTURAL['"'] = 1;
    STRUCTURAL['{'] = STRUCTURAL['['] = 2;
    STRUCTURAL['}'] = 3;
    STRUCTURAL[']'] = 4;
    return PyModule_Create(&module);
}

/*
 * eval.c: exact integer arithmetic for constant expressions.
 *
 * Values are mathematical integers in (-2^64, 2^64), held as a sign and a
 * 64-bit magnitude, which covers both int64 and uint64 with room for the
 * intermediate results of ordinary expressions (`-1 + 0xffffffffffffffff`
 * is fine). A result outside that range is an overflow. Bitwise operators
 * act on the infinite two's complement representation (so `~0` is -1 and
 * `-1 & 0xff` is 255), which fits in 65 bits for these values.
 */
#include <stdio.h>

#include "layout.h"
#include "sema.h"

static nidl_value_t make(bool neg, uint64_t mag)
{
    nidl_value_t v = {.kind = VAL_INT, .neg = neg && mag != 0, .mag = mag};
    return v;
}

/* a + b where both have the same sign handling done by the caller. */
static nidl_wi_status_t add(bool an, uint64_t am, bool bn, uint64_t bm, nidl_value_t *r)
{
    if (an == bn) {
        if (am > UINT64_MAX - bm)
            return WI_OVERFLOW;
        *r = make(an, am + bm);
    } else if (am >= bm) {
        *r = make(an, am - bm);
    } else {
        *r = make(bn, bm - am);
    }
    return WI_OK;
}

/* Two's complement in 65 bits: low 64 bits and the sign bit. */
typedef struct twos {
    uint64_t low;
    bool sign;
} twos_t;

static twos_t to_twos(const nidl_value_t *v)
{
    twos_t t = {v->neg ? ~v->mag + 1 : v->mag, v->neg};
    return t;
}

static nidl_wi_status_t from_twos(twos_t t, nidl_value_t *r)
{
    if (!t.sign) {
        *r = make(false, t.low);
        return WI_OK;
    }
    if (t.low == 0)
        return WI_OVERFLOW; /* -2^64 */
    *r = make(true, ~t.low + 1);
    return WI_OK;
}

nidl_wi_status_t nidl__wi_unary(ast_expr_kind_t op, const nidl_value_t *a, nidl_value_t *r)
{
    switch (op) {
    case EX_NEG:
        *r = make(!a->neg, a->mag);
        return WI_OK;
    case EX_PLUS:
        *r = *a;
        return WI_OK;
    case EX_NOT:
        /* ~a == -a - 1 */
        return add(!a->neg, a->mag, true, 1, r);
    default:
        return WI_OVERFLOW;
    }
}

nidl_wi_status_t nidl__wi_binary(ast_expr_kind_t op, const nidl_value_t *a,
                                 const nidl_value_t *b, nidl_value_t *r)
{
    switch (op) {
    case EX_ADD:
        return add(a->neg, a->mag, b->neg, b->mag, r);
    case EX_SUB:
        return add(a->neg, a->mag, !b->neg && b->mag != 0, b->mag, r);
    case EX_MUL:
        if (a->mag != 0 && b->mag > UINT64_MAX / a->mag)
            return WI_OVERFLOW;
        *r = make(a->neg != b->neg, a->mag * b->mag);
        return WI_OK;
    case EX_DIV:
        if (b->mag == 0)
            return WI_DIV_ZERO;
        *r = make(a->neg != b->neg, a->mag / b->mag); /* truncates, as C */
        return WI_OK;
    case EX_MOD:
        if (b->mag == 0)
            return WI_DIV_ZERO;
        *r = make(a->neg, a->mag % b->mag); /* sign of the dividend, as C */
        return WI_OK;
    case EX_SHL:
    case EX_SHR:
        if (b->neg || b->mag > 63)
            return WI_SHIFT_RANGE;
        if (a->neg)
            return WI_NEG_SHIFT;
        if (op == EX_SHR) {
            *r = make(false, a->mag >> b->mag);
        } else {
            if (b->mag > 0 && (a->mag >> (64 - b->mag)) != 0)
                return WI_OVERFLOW;
            *r = make(false, a->mag << b->mag);
        }
        return WI_OK;
    case EX_AND:
    case EX_OR:
    case EX_XOR: {
        twos_t x = to_twos(a), y = to_twos(b), z;
        if (op == EX_AND) {
            z.low = x.low & y.low;
            z.sign = x.sign && y.sign;
        } else if (op == EX_OR) {
            z.low = x.low | y.low;
            z.sign = x.sign || y.sign;
        } else {
            z.low = x.low ^ y.low;
            z.sign = x.sign != y.sign;
        }
        return from_twos(z, r);
    }
    default:
        return WI_OVERFLOW;
    }
}

bool nidl__wi_fits(const nidl_value_t *v, nidl_prim_t prim)
{
    const nidl_prim_info_t *pi = nidl__prim(prim);
    if (v->neg)
        return pi->is_signed && v->mag <= pi->min_mag;
    return v->mag <= pi->max;
}

const char *nidl__wi_format(const nidl_value_t *v, char *buf, size_t size)
{
    snprintf(buf, size, "%s%llu", v->neg ? "-" : "", (unsigned long long)v->mag);
    return buf;
}

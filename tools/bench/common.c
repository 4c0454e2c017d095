/*
 * common.c - the synthetic case model shared by every engine: deterministic case data from
 * an index, case numbers, the audit hash chain the peers compute like capa does, disk usage.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static const char *severities[] = {"general", "important", "major"};

/* A cheap, well-mixed hash so case fields look random but are reproducible. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void bench_customer_name(char *buf, size_t sz, uint64_t k)
{
    snprintf(buf, sz, "客户-%04llu", (unsigned long long)k);
}

void bench_number(char *buf, size_t sz, uint64_t k)
{
    snprintf(buf, sz, "QC-2026-%04llu", (unsigned long long)k);
}

void bench_case_make(bench_case *c, uint64_t i, uint64_t n_customers)
{
    uint64_t h = mix(i + 1);
    bench_customer_name(c->customer, sizeof c->customer, i % (n_customers ? n_customers : 1));
    snprintf(c->part_no, sizeof c->part_no, "PCB-%04llu", (unsigned long long)(h % 5000));
    snprintf(c->lot_no, sizeof c->lot_no, "L2026-%05llu", (unsigned long long)(i / 50));
    snprintf(c->defect_code, sizeof c->defect_code, "D%02llu",
             (unsigned long long)((h >> 20) % BENCH_DEFECTS));
    snprintf(c->severity, sizeof c->severity, "%s", severities[(h >> 40) % 3]);
    snprintf(c->qty, sizeof c->qty, "%llu", (unsigned long long)(1 + (h >> 44) % 500));
    c->opened = BENCH_T0 + (int64_t)i * BENCH_STEP_MS;
    /* ~1.9 KB of plain text: no tab, newline or backslash, so every peer stores it as is. */
    static const char words[] = "solder bridge on pad found at incoming inspection lot held ";
    size_t wl = sizeof words - 1, off = (size_t)(h % wl);
    for (size_t k = 0; k < BENCH_BLOB; k++)
        c->description[k] = words[(off + k) % wl];
    snprintf(c->description, 32, "case %020llu", (unsigned long long)i);
    c->description[strlen(c->description)] = ' ';
    c->description[BENCH_BLOB] = 0;
}

size_t bench_case_blob(char *buf, size_t sz, const bench_case *c)
{
    int n = snprintf(buf, sz,
                     "customer=%s\nchannel=written\ncomplaint_type=quality\npart_no=%s\nlot_no=%s\n"
                     "qty_affected=%s\ndefect_code=%s\nseverity=%s\nresponsible_dept=生产部\n"
                     "description=%s\n",
                     c->customer, c->part_no, c->lot_no, c->qty, c->defect_code, c->severity,
                     c->description);
    return n < 0 ? 0 : (size_t)n < sz ? (size_t)n : sz - 1;
}

void bench_chain(char out[65], const char *prev_hex, const void *data, size_t len)
{
    unsigned char md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, prev_hex, strlen(prev_hex));
    EVP_DigestUpdate(ctx, data, len);
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int bench_defect_index(const char *code)
{
    if (!code || code[0] != 'D')
        return -1;
    int v = 0;
    for (const char *p = code + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v < BENCH_DEFECTS ? v : -1;
}

static uint64_t du_total;
static int du_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (flag == FTW_F)
        du_total += (uint64_t)sb->st_blocks * 512;
    return 0;
}

uint64_t bench_du(const char *dir)
{
    du_total = 0;
    nftw(dir, du_one, 16, FTW_PHYS);
    return du_total;
}

// FNV-1a and a 64-bit mixing hash over generated data; prints the digests.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint8_t buf[1 << 20];

int main(void) {
    uint64_t state = 42;
    for (size_t i = 0; i < sizeof buf; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (uint8_t)(state >> 56);
    }
    uint32_t total = 0;
    for (int round = 0; round < 40; round++) {
        total ^= fnv1a(buf + round, sizeof buf - 64) + (uint32_t)round;
    }
    uint64_t acc = 0;
    for (uint64_t i = 0; i < 20000000; i++) {
        acc += mix64(i ^ acc);
    }
    printf("fnv1a %08x\nmix64 %016llx\n", total, (unsigned long long)acc);
    const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
    for (int i = 0; i < 5; i++) {
        printf("%s %08x\n", words[i], fnv1a((const uint8_t *)words[i], strlen(words[i])));
    }
    return 0;
}

// Binary-trees allocator benchmark: builds and frees many complete binary
// trees with malloc/free, keeps one long-lived tree, and prints node counts.
#include <stdio.h>
#include <stdlib.h>

#define MIN_DEPTH 4
#define MAX_DEPTH 16

struct node {
    struct node *left, *right;
    int value;
};

static struct node *build(int depth, int value) {
    struct node *n = malloc(sizeof *n);
    if (!n) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    n->value = value;
    if (depth > 0) {
        n->left = build(depth - 1, 2 * value - 1);
        n->right = build(depth - 1, 2 * value);
    } else {
        n->left = n->right = NULL;
    }
    return n;
}

// Counts nodes and folds the stored values into a checksum.
static long check(const struct node *n, long long *sum) {
    *sum += n->value;
    if (!n->left) {
        return 1;
    }
    return 1 + check(n->left, sum) + check(n->right, sum);
}

static void release(struct node *n) {
    if (n->left) {
        release(n->left);
        release(n->right);
    }
    free(n);
}

int main(void) {
    long long sum = 0; // 64-bit: the value sums exceed 32 bits
    struct node *stretch = build(MAX_DEPTH + 1, 0);
    printf("stretch depth %d check %ld\n", MAX_DEPTH + 1, check(stretch, &sum));
    release(stretch);

    struct node *long_lived = build(MAX_DEPTH, 0);

    for (int depth = MIN_DEPTH; depth <= MAX_DEPTH; depth += 2) {
        int iterations = 1 << (MAX_DEPTH - depth + MIN_DEPTH);
        long nodes = 0;
        sum = 0;
        for (int i = 1; i <= iterations; i++) {
            struct node *t = build(depth, i);
            nodes += check(t, &sum);
            release(t);
        }
        printf("%d trees of depth %d check %ld sum %lld\n", iterations, depth, nodes, sum);
    }

    sum = 0;
    printf("long lived depth %d check %ld", MAX_DEPTH, check(long_lived, &sum));
    printf(" sum %lld\n", sum);
    release(long_lived);
    return 0;
}

// A tiny scripting language: a generator writes random programs as text, a
// switch-based tokenizer and a recursive-descent parser turn them into an
// AST, and a tree-walking interpreter runs them (builtins are called through
// a table of function pointers). Prints a few hand-written programs' output,
// then one digest line per generated program.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR 48 // strings longer than this are truncated
#define MAX_ARGS 3
#define MAX_SLOTS 128
#define ROUNDS 100 // generated programs
#define STMTS 400 // top-level statements per generated program

static void die(const char *msg, int line) {
    fprintf(stderr, "error: %s (line %d)\n", msg, line);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        die("out of memory", 0);
    }
    return p;
}

static uint32_t fnv1a(const char *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)p[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- growable text buffer ---- */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            die("out of memory", 0);
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- values: 64-bit integers or owned, length-limited strings ---- */

struct value {
    int is_str;
    int64_t n;
    char *s;
    size_t len;
};

static struct value int_val(int64_t n) {
    struct value v = {0, n, NULL, 0};
    return v;
}

static struct value str_val(const char *s, size_t len) {
    if (len > MAX_STR) {
        len = MAX_STR;
    }
    struct value v = {1, 0, xmalloc(len + 1), len};
    memcpy(v.s, s, len);
    v.s[len] = '\0';
    return v;
}

static struct value copy_val(struct value v) {
    return v.is_str ? str_val(v.s, v.len) : v;
}

static void free_val(struct value *v) {
    if (v->is_str) {
        free(v->s);
    }
    v->is_str = 0;
    v->s = NULL;
}

// Implicit conversions: a string used as a number is its length; a number
// used as a string is its decimal form.
static int64_t to_int(struct value v) {
    return v.is_str ? (int64_t)v.len : v.n;
}

static struct value to_str(struct value v) {
    if (v.is_str) {
        return copy_val(v);
    }
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v.n);
    return str_val(tmp, (size_t)n);
}

// Wrapping arithmetic (signed overflow is undefined in C).
static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

/* ---- builtins, called through function pointers ---- */

typedef struct value (*builtin_fn)(struct value *args);

static struct value bi_len(struct value *a) {
    struct value s = to_str(a[0]);
    free_val(&s);
    return int_val((int64_t)s.len);
}
static struct value bi_str(struct value *a) { return to_str(a[0]); }
static struct value bi_abs(struct value *a) {
    int64_t x = to_int(a[0]);
    return int_val(x < 0 ? wrap_sub(0, x) : x);
}
static struct value bi_min(struct value *a) {
    int64_t x = to_int(a[0]), y = to_int(a[1]);
    return int_val(x < y ? x : y);
}
static struct value bi_max(struct value *a) {
    int64_t x = to_int(a[0]), y = to_int(a[1]);
    return int_val(x > y ? x : y);
}
static struct value bi_hash(struct value *a) {
    struct value s = to_str(a[0]);
    uint32_t h = fnv1a(s.s, s.len);
    free_val(&s);
    return int_val(h);
}
static struct value bi_ord(struct value *a) {
    return int_val(a[0].is_str && a[0].len ? (uint8_t)a[0].s[0] : 0);
}
static struct value bi_chr(struct value *a) {
    int64_t x = to_int(a[0]) % 26;
    char c = (char)('a' + (x < 0 ? x + 26 : x));
    return str_val(&c, 1);
}
static struct value bi_upper(struct value *a) {
    struct value s = to_str(a[0]);
    for (size_t i = 0; i < s.len; i++) {
        if (s.s[i] >= 'a' && s.s[i] <= 'z') {
            s.s[i] = (char)(s.s[i] - 'a' + 'A');
        }
    }
    return s;
}
static struct value bi_rev(struct value *a) {
    struct value s = to_str(a[0]);
    for (size_t i = 0, j = s.len; i + 1 < j; i++, j--) {
        char t = s.s[i];
        s.s[i] = s.s[j - 1];
        s.s[j - 1] = t;
    }
    return s;
}
static struct value bi_substr(struct value *a) {
    struct value s = to_str(a[0]);
    int64_t start = to_int(a[1]), count = to_int(a[2]);
    if (start < 0) start = 0;
    if (start > (int64_t)s.len) start = (int64_t)s.len;
    if (count < 0) count = 0;
    if (count > (int64_t)s.len - start) count = (int64_t)s.len - start;
    struct value r = str_val(s.s + start, (size_t)count);
    free_val(&s);
    return r;
}
static struct value bi_repeat(struct value *a) {
    struct value s = to_str(a[0]);
    int64_t times = to_int(a[1]);
    char tmp[MAX_STR];
    size_t n = 0;
    for (int64_t i = 0; i < times && s.len && n < MAX_STR; i++) {
        for (size_t j = 0; j < s.len && n < MAX_STR; j++) {
            tmp[n++] = s.s[j];
        }
    }
    free_val(&s);
    return str_val(tmp, n);
}

static const struct builtin {
    const char *name;
    int arity;
    builtin_fn fn;
} builtins[] = {
    {"len", 1, bi_len},       {"str", 1, bi_str},       {"abs", 1, bi_abs},
    {"min", 2, bi_min},       {"max", 2, bi_max},       {"hash", 1, bi_hash},
    {"ord", 1, bi_ord},       {"chr", 1, bi_chr},       {"upper", 1, bi_upper},
    {"rev", 1, bi_rev},       {"substr", 3, bi_substr}, {"repeat", 2, bi_repeat},
};
#define NBUILTINS (int)(sizeof builtins / sizeof builtins[0])

/* ---- tokenizer ---- */

enum tok {
    T_EOF, T_NUM, T_STR, T_IDENT, T_LET, T_PRINT, T_FOR, T_IN,
    T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA, T_SEMI, T_QUESTION, T_COLON,
    T_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_DOTDOT,
};

struct lexer {
    const char *src;
    size_t pos;
    int line;
    unsigned ntokens;
    enum tok tok;
    int64_t num;
    struct buf text; // identifier name or decoded string literal
};

static void lex_string(struct lexer *lx) {
    const char *s = lx->src;
    lx->text.len = 0;
    lx->pos++; // opening quote
    for (;;) {
        char c = s[lx->pos++];
        switch (c) {
        case '\0':
        case '\n':
            die("unterminated string", lx->line);
            break;
        case '"':
            lx->tok = T_STR;
            return;
        case '\\':
            c = s[lx->pos++];
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '"':
            case '\\': break;
            default: die("bad escape", lx->line);
            }
            buf_put(&lx->text, &c, 1);
            break;
        default:
            buf_put(&lx->text, &c, 1);
        }
    }
}

static void next(struct lexer *lx) {
    const char *s = lx->src;
    // Skip blanks and '#' comments.
    for (;;) {
        char c = s[lx->pos];
        if (c == ' ' || c == '\t' || c == '\r') {
            lx->pos++;
        } else if (c == '\n') {
            lx->line++;
            lx->pos++;
        } else if (c == '#') {
            while (s[lx->pos] && s[lx->pos] != '\n') lx->pos++;
        } else {
            break;
        }
    }
    lx->ntokens++;
    char c = s[lx->pos];
    // Single-character tokens advance by one; the others fix up pos below.
    lx->pos++;
    switch (c) {
    case '\0': lx->pos--; lx->tok = T_EOF; return;
    case '(': lx->tok = T_LPAREN; return;
    case ')': lx->tok = T_RPAREN; return;
    case '{': lx->tok = T_LBRACE; return;
    case '}': lx->tok = T_RBRACE; return;
    case ',': lx->tok = T_COMMA; return;
    case ';': lx->tok = T_SEMI; return;
    case '?': lx->tok = T_QUESTION; return;
    case ':': lx->tok = T_COLON; return;
    case '+': lx->tok = T_PLUS; return;
    case '-': lx->tok = T_MINUS; return;
    case '*': lx->tok = T_STAR; return;
    case '/': lx->tok = T_SLASH; return;
    case '%': lx->tok = T_PERCENT; return;
    case '=':
        lx->tok = s[lx->pos] == '=' ? (lx->pos++, T_EQ) : T_ASSIGN;
        return;
    case '!':
        if (s[lx->pos] != '=') die("expected '!='", lx->line);
        lx->pos++;
        lx->tok = T_NE;
        return;
    case '<':
        lx->tok = s[lx->pos] == '=' ? (lx->pos++, T_LE) : T_LT;
        return;
    case '>':
        lx->tok = s[lx->pos] == '=' ? (lx->pos++, T_GE) : T_GT;
        return;
    case '.':
        if (s[lx->pos] != '.') die("expected '..'", lx->line);
        lx->pos++;
        lx->tok = T_DOTDOT;
        return;
    case '"':
        lx->pos--;
        lex_string(lx);
        return;
    case '0' ... '9':
        lx->num = c - '0';
        while (s[lx->pos] >= '0' && s[lx->pos] <= '9') {
            lx->num = wrap_add(wrap_mul(lx->num, 10), s[lx->pos++] - '0');
        }
        lx->tok = T_NUM;
        return;
    case 'a' ... 'z':
    case 'A' ... 'Z':
    case '_': {
        size_t start = lx->pos - 1;
        while ((s[lx->pos] >= 'a' && s[lx->pos] <= 'z') || (s[lx->pos] >= 'A' && s[lx->pos] <= 'Z') ||
               (s[lx->pos] >= '0' && s[lx->pos] <= '9') || s[lx->pos] == '_') {
            lx->pos++;
        }
        lx->text.len = 0;
        buf_put(&lx->text, s + start, lx->pos - start);
        const char *t = lx->text.p;
        lx->tok = !strcmp(t, "let")     ? T_LET
                  : !strcmp(t, "print") ? T_PRINT
                  : !strcmp(t, "for")   ? T_FOR
                  : !strcmp(t, "in")    ? T_IN
                                        : T_IDENT;
        return;
    }
    default:
        die("unexpected character", lx->line);
    }
}

/* ---- AST and recursive-descent parser ---- */

enum nkind { N_NUM, N_STR, N_VAR, N_NEG, N_BIN, N_COND, N_CALL };

struct node {
    enum nkind kind;
    enum tok op;   // N_BIN
    int64_t num;   // N_NUM
    char *str;     // N_STR
    size_t len;    // N_STR
    int slot;      // N_VAR
    int fn, nargs; // N_CALL
    struct node *kid[MAX_ARGS];
};

enum skind { S_ASSIGN, S_PRINT, S_FOR };

struct stmt {
    enum skind kind;
    int slot;             // S_ASSIGN, S_FOR
    struct node *e, *hi;  // value (or loop start) and loop end
    struct stmt *body;    // S_FOR
    struct stmt *next;
};

struct parser {
    struct lexer lx;
    char *names[MAX_SLOTS];
    int nslots;
    unsigned nnodes;
};

static void expect(struct parser *p, enum tok t, const char *what) {
    if (p->lx.tok != t) die(what, p->lx.line);
    next(&p->lx);
}

// Finds a variable's slot; `create` adds it if it does not exist yet.
static int lookup(struct parser *p, const char *name, int create) {
    for (int i = 0; i < p->nslots; i++) {
        if (!strcmp(p->names[i], name)) return i;
    }
    if (!create) die("undefined variable", p->lx.line);
    if (p->nslots == MAX_SLOTS) die("too many variables", p->lx.line);
    p->names[p->nslots] = strcpy(xmalloc(strlen(name) + 1), name);
    return p->nslots++;
}

static struct node *new_node(struct parser *p, enum nkind kind) {
    struct node *n = xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    p->nnodes++;
    return n;
}

static struct node *binary(struct parser *p, enum tok op, struct node *a, struct node *b) {
    struct node *n = new_node(p, N_BIN);
    n->op = op;
    n->kid[0] = a;
    n->kid[1] = b;
    return n;
}

static struct node *parse_expr(struct parser *p);

static struct node *parse_primary(struct parser *p) {
    struct lexer *lx = &p->lx;
    struct node *n;
    switch (lx->tok) {
    case T_NUM:
        n = new_node(p, N_NUM);
        n->num = lx->num;
        next(lx);
        return n;
    case T_STR:
        n = new_node(p, N_STR);
        n->len = lx->text.len;
        n->str = memcpy(xmalloc(n->len + 1), lx->text.p, n->len + 1);
        next(lx);
        return n;
    case T_LPAREN:
        next(lx);
        n = parse_expr(p);
        expect(p, T_RPAREN, "expected ')'");
        return n;
    case T_IDENT:
        break;
    default:
        die("expected an expression", lx->line);
    }
    // Identifier: a builtin call or a variable.
    char name[32];
    snprintf(name, sizeof name, "%s", lx->text.p);
    next(lx);
    if (lx->tok != T_LPAREN) {
        n = new_node(p, N_VAR);
        n->slot = lookup(p, name, 0);
        return n;
    }
    n = new_node(p, N_CALL);
    n->fn = -1;
    for (int i = 0; i < NBUILTINS; i++) {
        if (!strcmp(builtins[i].name, name)) n->fn = i;
    }
    if (n->fn < 0) die("unknown function", lx->line);
    next(lx);
    while (lx->tok != T_RPAREN) {
        if (n->nargs == MAX_ARGS) die("too many arguments", lx->line);
        n->kid[n->nargs++] = parse_expr(p);
        if (lx->tok != T_COMMA) break;
        next(lx);
    }
    expect(p, T_RPAREN, "expected ')'");
    if (n->nargs != builtins[n->fn].arity) die("wrong number of arguments", lx->line);
    return n;
}

static struct node *parse_unary(struct parser *p) {
    if (p->lx.tok == T_MINUS) {
        next(&p->lx);
        struct node *n = new_node(p, N_NEG);
        n->kid[0] = parse_unary(p);
        return n;
    }
    return parse_primary(p);
}

static struct node *parse_mul(struct parser *p) {
    struct node *n = parse_unary(p);
    while (p->lx.tok == T_STAR || p->lx.tok == T_SLASH || p->lx.tok == T_PERCENT) {
        enum tok op = p->lx.tok;
        next(&p->lx);
        n = binary(p, op, n, parse_unary(p));
    }
    return n;
}

static struct node *parse_add(struct parser *p) {
    struct node *n = parse_mul(p);
    while (p->lx.tok == T_PLUS || p->lx.tok == T_MINUS) {
        enum tok op = p->lx.tok;
        next(&p->lx);
        n = binary(p, op, n, parse_mul(p));
    }
    return n;
}

static struct node *parse_cmp(struct parser *p) {
    // Comparisons chain left to right, as in C: a < b < c is (a < b) < c.
    struct node *n = parse_add(p);
    while (p->lx.tok >= T_EQ && p->lx.tok <= T_GE) {
        enum tok op = p->lx.tok;
        next(&p->lx);
        n = binary(p, op, n, parse_add(p));
    }
    return n;
}

static struct node *parse_expr(struct parser *p) {
    struct node *n = parse_cmp(p);
    if (p->lx.tok != T_QUESTION) return n;
    next(&p->lx);
    struct node *c = new_node(p, N_COND);
    c->kid[0] = n;
    c->kid[1] = parse_expr(p);
    expect(p, T_COLON, "expected ':'");
    c->kid[2] = parse_expr(p);
    return c;
}

static struct stmt *parse_block(struct parser *p, enum tok end);

static struct stmt *parse_stmt(struct parser *p) {
    struct lexer *lx = &p->lx;
    struct stmt *s = xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    switch (lx->tok) {
    case T_LET:
    case T_IDENT: {
        int is_let = lx->tok == T_LET;
        if (is_let) expect(p, T_LET, "expected 'let'");
        if (lx->tok != T_IDENT) die("expected a name", lx->line);
        char name[32];
        snprintf(name, sizeof name, "%s", lx->text.p);
        next(lx);
        expect(p, T_ASSIGN, "expected '='");
        s->kind = S_ASSIGN;
        s->e = parse_expr(p);
        // Resolve after the value so `let x = x;` is an error.
        s->slot = lookup(p, name, is_let);
        break;
    }
    case T_PRINT:
        next(lx);
        s->kind = S_PRINT;
        s->e = parse_expr(p);
        break;
    case T_FOR:
        next(lx);
        if (lx->tok != T_IDENT) die("expected a loop variable", lx->line);
        s->kind = S_FOR;
        s->slot = lookup(p, lx->text.p, 1);
        next(lx);
        expect(p, T_IN, "expected 'in'");
        s->e = parse_expr(p);
        expect(p, T_DOTDOT, "expected '..'");
        s->hi = parse_expr(p);
        expect(p, T_LBRACE, "expected '{'");
        s->body = parse_block(p, T_RBRACE);
        next(lx);
        return s; // no ';' after a block
    default:
        die("expected a statement", lx->line);
    }
    expect(p, T_SEMI, "expected ';'");
    return s;
}

static struct stmt *parse_block(struct parser *p, enum tok end) {
    struct stmt *head = NULL, **tail = &head;
    while (p->lx.tok != end) {
        *tail = parse_stmt(p);
        tail = &(*tail)->next;
    }
    return head;
}

static void free_node(struct node *n) {
    if (!n) return;
    for (int i = 0; i < MAX_ARGS; i++) free_node(n->kid[i]);
    free(n->str);
    free(n);
}

static void free_stmts(struct stmt *s) {
    while (s) {
        struct stmt *next = s->next;
        free_node(s->e);
        free_node(s->hi);
        free_stmts(s->body);
        free(s);
        s = next;
    }
}

/* ---- interpreter ---- */

struct interp {
    struct value env[MAX_SLOTS];
    struct buf out;
    unsigned executed, lines;
};

static struct value eval(struct interp *in, const struct node *n);

static int compare(struct value a, struct value b) {
    if (a.is_str && b.is_str) {
        int c = memcmp(a.s, b.s, a.len < b.len ? a.len : b.len);
        return c ? c : (a.len > b.len) - (a.len < b.len);
    }
    int64_t x = to_int(a), y = to_int(b);
    return (x > y) - (x < y);
}

static struct value eval_binary(enum tok op, struct value a, struct value b) {
    int64_t x = to_int(a), y = to_int(b);
    switch (op) {
    case T_PLUS:
        if (a.is_str || b.is_str) {
            // Concatenation, truncated to MAX_STR.
            struct value sa = to_str(a), sb = to_str(b);
            char tmp[2 * MAX_STR];
            memcpy(tmp, sa.s, sa.len);
            memcpy(tmp + sa.len, sb.s, sb.len);
            struct value r = str_val(tmp, sa.len + sb.len);
            free_val(&sa);
            free_val(&sb);
            return r;
        }
        return int_val(wrap_add(x, y));
    case T_MINUS: return int_val(wrap_sub(x, y));
    case T_STAR: return int_val(wrap_mul(x, y));
    // Division by zero yields 0; INT64_MIN / -1 wraps.
    case T_SLASH: return int_val(y == 0 ? 0 : y == -1 ? wrap_sub(0, x) : x / y);
    case T_PERCENT: return int_val(y == 0 || y == -1 ? 0 : x % y);
    case T_EQ: return int_val(compare(a, b) == 0);
    case T_NE: return int_val(compare(a, b) != 0);
    case T_LT: return int_val(compare(a, b) < 0);
    case T_LE: return int_val(compare(a, b) <= 0);
    case T_GT: return int_val(compare(a, b) > 0);
    case T_GE: return int_val(compare(a, b) >= 0);
    default: die("bad operator", 0);
    }
    return int_val(0);
}

static int truthy(struct value v) {
    return v.is_str ? v.len != 0 : v.n != 0;
}

static struct value eval(struct interp *in, const struct node *n) {
    struct value a, b, r;
    switch (n->kind) {
    case N_NUM:
        return int_val(n->num);
    case N_STR:
        return str_val(n->str, n->len);
    case N_VAR:
        return copy_val(in->env[n->slot]);
    case N_NEG:
        a = eval(in, n->kid[0]);
        r = int_val(wrap_sub(0, to_int(a)));
        free_val(&a);
        return r;
    case N_BIN:
        a = eval(in, n->kid[0]);
        b = eval(in, n->kid[1]);
        r = eval_binary(n->op, a, b);
        free_val(&a);
        free_val(&b);
        return r;
    case N_COND:
        a = eval(in, n->kid[0]);
        r = eval(in, n->kid[truthy(a) ? 1 : 2]);
        free_val(&a);
        return r;
    case N_CALL: {
        struct value args[MAX_ARGS];
        for (int i = 0; i < n->nargs; i++) args[i] = eval(in, n->kid[i]);
        r = builtins[n->fn].fn(args);
        for (int i = 0; i < n->nargs; i++) free_val(&args[i]);
        return r;
    }
    }
    return int_val(0);
}

static void assign(struct interp *in, int slot, struct value v) {
    free_val(&in->env[slot]);
    in->env[slot] = v;
}

static void exec(struct interp *in, const struct stmt *s) {
    for (; s; s = s->next) {
        in->executed++;
        switch (s->kind) {
        case S_ASSIGN:
            assign(in, s->slot, eval(in, s->e));
            break;
        case S_PRINT: {
            struct value v = eval(in, s->e);
            if (v.is_str) {
                buf_put(&in->out, v.s, v.len);
            } else {
                buf_printf(&in->out, "%lld", (long long)v.n);
            }
            buf_put(&in->out, "\n", 1);
            in->lines++;
            free_val(&v);
            break;
        }
        case S_FOR: {
            struct value lo = eval(in, s->e), hi = eval(in, s->hi);
            for (int64_t i = to_int(lo), end = to_int(hi); i < end; i++) {
                assign(in, s->slot, int_val(i));
                exec(in, s->body);
            }
            free_val(&lo);
            free_val(&hi);
            break;
        }
        }
    }
}

// Parses and runs `src`; fills `in` (whose output buffer the caller frees).
static void run(const char *src, struct interp *in, struct parser *p) {
    memset(p, 0, sizeof *p);
    memset(in, 0, sizeof *in);
    p->lx.src = src;
    p->lx.line = 1;
    next(&p->lx);
    struct stmt *prog = parse_block(p, T_EOF);
    exec(in, prog);
    free_stmts(prog);
    for (int i = 0; i < p->nslots; i++) {
        free(p->names[i]);
        free_val(&in->env[i]);
    }
    free(p->lx.text.p);
}

/* ---- random program generator ---- */

static uint64_t rng;

static uint32_t rnd(uint32_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33) % n;
}

static const char *const words[] = {
    "alpha", "beta", "gamma", "delta", "x", "", "hello world", "q\\\"uote", "tab\\there", "zz",
};

struct gen {
    struct buf b;
    int nvars;
    int is_str[MAX_SLOTS]; // type of v0..v(nvars-1)
    int loop_depth;        // loop variables i0..i(loop_depth-1) are in scope
};

// Picks a random variable of the given type; returns 0 if there is none.
static int pick_var(struct gen *g, int want_str) {
    int n_int = want_str ? 0 : g->loop_depth, count = n_int;
    for (int i = 0; i < g->nvars; i++) count += g->is_str[i] == want_str;
    if (!count) return 0;
    int k = (int)rnd((uint32_t)count);
    if (k < n_int) {
        buf_printf(&g->b, "i%d", k);
        return 1;
    }
    k -= n_int;
    for (int i = 0; i < g->nvars; i++) {
        if (g->is_str[i] == want_str && k-- == 0) {
            buf_printf(&g->b, "v%d", i);
            return 1;
        }
    }
    return 0;
}

static void gen_str(struct gen *g, int depth);

static void gen_int(struct gen *g, int depth) {
    static const char *const ops[] = {"+", "-", "*", "/", "%", "<", "<=", ">", ">=", "==", "!="};
    struct buf *b = &g->b;
    if (depth <= 0 || rnd(4) == 0) {
        if (rnd(3) == 0 || !pick_var(g, 0)) buf_printf(b, "%u", rnd(4) ? rnd(100) : rnd(100000));
        return;
    }
    switch (rnd(9)) {
    case 0: case 1: case 2: case 3: {
        int paren = rnd(2);
        if (paren) buf_put(b, "(", 1);
        gen_int(g, depth - 1);
        buf_printf(b, " %s ", ops[rnd(sizeof ops / sizeof ops[0])]);
        gen_int(g, depth - 1);
        if (paren) buf_put(b, ")", 1);
        break;
    }
    case 4:
        buf_put(b, "-", 1);
        gen_int(g, depth - 1);
        break;
    case 5:
        buf_printf(b, "%s(", rnd(2) ? "len" : rnd(2) ? "hash" : "ord");
        gen_str(g, depth - 1);
        buf_put(b, ")", 1);
        break;
    case 6:
        buf_printf(b, "%s(", rnd(2) ? "min" : "max");
        gen_int(g, depth - 1);
        buf_put(b, ", ", 2);
        gen_int(g, depth - 1);
        buf_put(b, ")", 1);
        break;
    case 7:
        buf_put(b, "abs(", 4);
        gen_int(g, depth - 1);
        buf_put(b, ")", 1);
        break;
    default:
        buf_put(b, "(", 1);
        gen_int(g, depth - 1);
        buf_put(b, " ? ", 3);
        gen_int(g, depth - 1);
        buf_put(b, " : ", 3);
        gen_int(g, depth - 1);
        buf_put(b, ")", 1);
    }
}

static void gen_str(struct gen *g, int depth) {
    struct buf *b = &g->b;
    if (depth <= 0 || rnd(4) == 0) {
        if (rnd(3) == 0 || !pick_var(g, 1)) buf_printf(b, "\"%s\"", words[rnd(sizeof words / sizeof words[0])]);
        return;
    }
    switch (rnd(7)) {
    case 0: case 1:
        gen_str(g, depth - 1);
        buf_put(b, " + ", 3);
        if (rnd(2)) gen_str(g, depth - 1); else gen_int(g, depth - 1);
        break;
    case 2:
        buf_put(b, "str(", 4);
        gen_int(g, depth - 1);
        buf_put(b, ")", 1);
        break;
    case 3:
        buf_put(b, "substr(", 7);
        gen_str(g, depth - 1);
        buf_printf(b, ", %u, %u)", rnd(8), rnd(12));
        break;
    case 4:
        buf_printf(b, "%s(", rnd(2) ? "upper" : "rev");
        gen_str(g, depth - 1);
        buf_put(b, ")", 1);
        break;
    case 5:
        if (rnd(2)) {
            buf_put(b, "chr(", 4);
            gen_int(g, depth - 1);
            buf_put(b, ")", 1);
        } else {
            buf_put(b, "repeat(", 7);
            gen_str(g, depth - 1);
            buf_printf(b, ", %u)", rnd(5));
        }
        break;
    default:
        buf_put(b, "(", 1);
        gen_int(g, depth - 1);
        buf_put(b, " ? ", 3);
        gen_str(g, depth - 1);
        buf_put(b, " : ", 3);
        gen_str(g, depth - 1);
        buf_put(b, ")", 1);
    }
}

static void gen_stmt(struct gen *g, int indent) {
    struct buf *b = &g->b;
    for (int i = 0; i < indent; i++) buf_put(b, "  ", 2);
    uint32_t r = rnd(20);
    if (g->loop_depth == 0 && g->nvars < MAX_SLOTS - 8 && (g->nvars < 4 || r < 3)) {
        // New variables are only declared at top level.
        int is_str = (int)rnd(2);
        buf_printf(b, "let v%d = ", g->nvars);
        if (is_str) gen_str(g, 3); else gen_int(g, 3);
        g->is_str[g->nvars++] = is_str;
        buf_put(b, ";\n", 2);
    } else if (r < 5) {
        buf_put(b, "print ", 6);
        if (rnd(2)) gen_str(g, 2); else gen_int(g, 3);
        buf_put(b, ";\n", 2);
    } else if (r < 8 && g->loop_depth < 3) {
        uint32_t lo = rnd(4);
        buf_printf(b, "for i%d in %u..%u {\n", g->loop_depth, lo, lo + 2 + rnd(12));
        g->loop_depth++;
        for (uint32_t n = 1 + rnd(4); n > 0; n--) gen_stmt(g, indent + 1);
        g->loop_depth--;
        for (int i = 0; i < indent; i++) buf_put(b, "  ", 2);
        buf_put(b, "}\n", 2);
    } else {
        int v = (int)rnd((uint32_t)g->nvars);
        buf_printf(b, "v%d = ", v);
        if (g->is_str[v]) gen_str(g, 3); else gen_int(g, 3);
        buf_put(b, ";\n", 2);
    }
}

/* ---- driver ---- */

static const char demo[] =
    "# Fibonacci numbers and some string handling.\n"
    "let a = 0; let b = 1; let digits = \"\";\n"
    "for i in 0..30 {\n"
    "  let t = a + b; a = b; b = t;\n"
    "  digits = digits + str(a % 10);\n"
    "}\n"
    "print a; print digits; print rev(digits);\n"
    "print upper(\"Mixed Case\") + \"!\";\n"
    "print substr(\"hello, world\", 7, 5);\n"
    "print len(repeat(\"ab\", 100));\n"
    "print 7 / 0; print -7 % 3; print 2 + 3 * 4 - 10 / 3;\n"
    "print (3 < 4) ? \"yes\" : \"no\";\n"
    "print \"apple\" < \"apricot\"; print max(len(\"four\"), -5);\n"
    "print hash(\"hash me\"); print chr(ord(\"c\") - 97 + 1);\n"
    "print \"quote \\\" and \\\\ backslash\";\n"
    "let n = 0;\n"
    "for i in 1..10 { for j in i..10 { n = n + i * j; } }\n"
    "print \"triangle sum \" + n;\n";

int main(void) {
    struct parser p;
    struct interp in;

    run(demo, &in, &p);
    fwrite(in.out.p, 1, in.out.len, stdout);
    free(in.out.p);

    for (int round = 0; round < ROUNDS; round++) {
        struct gen g;
        memset(&g, 0, sizeof g);
        rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)round;
        for (int i = 0; i < STMTS; i++) gen_stmt(&g, 0);

        run(g.b.p, &in, &p);
        // The last printed line (the output ends with a newline).
        const char *last = "";
        int last_len = 0;
        if (in.out.len) {
            size_t e = in.out.len - 1, s = e;
            while (s > 0 && in.out.p[s - 1] != '\n') s--;
            last = in.out.p + s;
            last_len = (int)(e - s);
        }
        printf("round %2d: %6zu bytes %6u tokens %6u nodes %8u stmts run %6u lines, digest %08x, last \"%.*s\"\n",
               round, g.b.len, p.lx.ntokens, p.nnodes, in.executed, in.lines, fnv1a(in.out.p, in.out.len), last_len,
               last);
        free(in.out.p);
        free(g.b.p);
    }
    return 0;
}

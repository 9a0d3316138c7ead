/*
 * vmentry-checks.c: the bench's entry-check shapes in C11 (<stdatomic.h>), for the native column
 * of `gpc-lab bench` (issue 12, item 1). Compiled at bench time with the system cc at -O2 by
 * src/bench/native-bench.ts; skipped with a note when there is no cc.
 *
 * Shapes (one cache per 64-byte line, like the model's one cache per line):
 *   raw floors   empty loop; relaxed load (READ_ONCE); 4 relaxed loads; acquire load; acquire
 *                load+compare; locked add+sub on 1..8 lines (qrwlock read_lock's fetch_add acquire
 *                + read_unlock's fetch_sub release); add+load+sub.
 *   check:       generation: one acquire load of the memslots generation + a compare;
 *                lockless: `active && !valid` with relaxed loads, two caches;
 *                locked xN: read_lock + gfn_to_pfn_cache check (active, gpa, generation against the
 *                memslots generation read with an acquire load, uhva, valid) + read_unlock, over N
 *                caches on distinct lines.
 *   vmentry:     empty: the entry path around the check: kvm_request_pending (relaxed load), mode =
 *                IN_GUEST_MODE (seq_cst store: the kernel's smp_store_mb, the model's
 *                Atomics.store), the check, the request load again (acquire), mode =
 *                OUTSIDE_GUEST_MODE (release store); and the same with each check.
 *
 * Under load (--notifier-rate R): a notifier thread, R times a second, write-locks each of the 8
 * caches in turn (qrwlock-like: the writer-waiting bit, readers drain, locked), clears `valid` and
 * unlocks: the model's invalidation of the cached pages. A check that finds a cache invalid
 * refreshes it at once (write lock, valid = 1, unlock), as the model's check-only variants do;
 * readers that find a writer back off and spin (queued_read_lock_slowpath's role).
 *
 * Each variant times batches of N iterations with clock_gettime(CLOCK_MONOTONIC); samples are
 * interleaved with the JS bench's rotation (src/harness/batch-timer.ts: sample k of every variant
 * before sample k+1 of any, order rotating every round). Output: JSON on stdout, every sample in
 * ns per operation, and per variant its operations and refreshes (warm-up included); the caller
 * summarizes.
 *
 *   vmentry-checks [--batch N] [--samples N] [--warmup N] [--notifier-rate R] [--list] [variant ...]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CACHES 8
#define QR_READER 4 /* the model's reader increment (qrwlock's _QR_BIAS role) */
#define QW_LOCKED 1 /* a writer holds it */
#define QW_WAITING 2 /* a writer waits for the readers to drain */
#define QW_WMASK 3  /* writer bits */
#define KVM_HVA_ERR_BAD (-1L)

/* One gfn_to_pfn_cache per line. lock: the cache's rwlock (reader count + writer bits); the rest
 * is guarded by lock (written under the write lock by refresh/invalidate, read under the read lock). */
struct gpc {
  _Alignas(64) atomic_int lock;
  atomic_int active; /* guarded by lock; read lockless by the lockless check (READ_ONCE) */
  atomic_int valid;  /* guarded by lock; read lockless by the lockless check (READ_ONCE) */
  long gpa;          /* guarded by lock */
  long generation;   /* guarded by lock */
  long uhva;         /* guarded by lock */
};

struct line {
  _Alignas(64) atomic_long word;
};

static struct gpc caches[MAX_CACHES];
/* The memslots generation (guarded by slots_lock for writers; read with an acquire load). */
static struct line memslots_generation;
/* Raw-floor words, one per line. */
static struct line raw[MAX_CACHES + 1];
/* The vCPU's mode and requests words (guarded: mode by the vCPU, requests by atomic ops). */
static struct line vcpu_mode;
static struct line vcpu_requests;
/* The vCPU's own generation snapshot (the generation check's compare value); vCPU-private. */
static long vcpu_generation;
static long cache_gpa[MAX_CACHES];

/* Dead-code sink: every batch's result ends up here. */
static volatile long sink;

#define OPAQUE(x) __asm__ volatile("" : "+r"(x))
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __asm__ volatile("pause" ::: "memory")
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield" ::: "memory")
#else
#define CPU_RELAX() __asm__ volatile("" ::: "memory")
#endif

/* Refreshes done by the timing thread (failed checks); the timing thread's own counter. */
static long refreshes;

/* A reader found a writer: back off, wait until no writer, retry (cold). */
static __attribute__((noinline)) void read_lock_slow(atomic_int *lock) {
  for (;;) {
    atomic_fetch_sub_explicit(lock, QR_READER, memory_order_relaxed);
    while (atomic_load_explicit(lock, memory_order_relaxed) & QW_WMASK) CPU_RELAX();
    if (!(atomic_fetch_add_explicit(lock, QR_READER, memory_order_acquire) & QW_WMASK)) return;
  }
}

static void write_lock(atomic_int *lock) {
  for (;;) {
    int c = atomic_load_explicit(lock, memory_order_relaxed);
    if (!(c & QW_WMASK) && atomic_compare_exchange_weak_explicit(lock, &c, c | QW_WAITING, memory_order_acquire, memory_order_relaxed)) break;
    CPU_RELAX();
  }
  for (;;) {
    int c = QW_WAITING; /* no reader left: take it */
    if (atomic_compare_exchange_weak_explicit(lock, &c, QW_LOCKED, memory_order_acquire, memory_order_relaxed)) return;
    CPU_RELAX();
  }
}

static void write_unlock(atomic_int *lock) {
  atomic_fetch_sub_explicit(lock, QW_LOCKED, memory_order_release);
}

enum { OUTSIDE_GUEST_MODE = 0, IN_GUEST_MODE = 1 };

static inline int gpc_check_locked(struct gpc *g, long gpa) {
  int cnts = atomic_fetch_add_explicit(&g->lock, QR_READER, memory_order_acquire);
  if (__builtin_expect(cnts & QW_WMASK, 0)) read_lock_slow(&g->lock);
  long gen = atomic_load_explicit(&memslots_generation.word, memory_order_acquire);
  int ok = atomic_load_explicit(&g->active, memory_order_relaxed) && g->gpa == gpa && g->generation == gen &&
           g->uhva != KVM_HVA_ERR_BAD && atomic_load_explicit(&g->valid, memory_order_relaxed);
  atomic_fetch_sub_explicit(&g->lock, QR_READER, memory_order_release);
  return ok;
}

static inline int check_locked(int n) {
  int ok = 1;
  for (int k = 0; k < n; k++) ok &= gpc_check_locked(&caches[k], cache_gpa[k]);
  return ok;
}

/* After a failed check: refresh the invalid caches among the first n (cold). */
static __attribute__((noinline)) void refresh_caches(int n) {
  for (int k = 0; k < n; k++) {
    struct gpc *g = &caches[k];
    if (atomic_load_explicit(&g->valid, memory_order_relaxed)) continue;
    write_lock(&g->lock);
    g->generation = atomic_load_explicit(&memslots_generation.word, memory_order_acquire);
    atomic_store_explicit(&g->valid, 1, memory_order_relaxed);
    write_unlock(&g->lock);
    refreshes++;
  }
}

/* ---- the notifier thread (--notifier-rate) ---- */
static atomic_int notifier_stop;
static long notifier_rate;
static long notifier_events; /* written by the notifier, read by main after the join */
static atomic_int notifier_started; /* set by the notifier after its first pass; main waits for it */

static void *notifier_main(void *unused) {
  (void)unused;
  const long period = 1000000000L / notifier_rate;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!atomic_load_explicit(&notifier_stop, memory_order_relaxed)) {
    for (int k = 0; k < MAX_CACHES; k++) {
      write_lock(&caches[k].lock);
      atomic_store_explicit(&caches[k].valid, 0, memory_order_relaxed);
      write_unlock(&caches[k].lock);
    }
    notifier_events++;
    atomic_store_explicit(&notifier_started, 1, memory_order_release);
    next.tv_nsec += period;
    while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) next = now; /* behind: no burst */
    else clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  return NULL;
}

static inline int check_generation(void) {
  return atomic_load_explicit(&memslots_generation.word, memory_order_acquire) == vcpu_generation;
}

static inline int check_lockless(void) {
  int bad0 = atomic_load_explicit(&caches[0].active, memory_order_relaxed) && !atomic_load_explicit(&caches[0].valid, memory_order_relaxed);
  int bad1 = atomic_load_explicit(&caches[1].active, memory_order_relaxed) && !atomic_load_explicit(&caches[1].valid, memory_order_relaxed);
  return !(bad0 | bad1);
}

static inline int check_lockless_refreshing(void) {
  if (check_lockless()) return 1;
  refresh_caches(2);
  return 0;
}

static inline int check_locked_refreshing(int n) {
  if (check_locked(n)) return 1;
  refresh_caches(n);
  return 0;
}

static inline void entry_before_check(void) {
  long req = atomic_load_explicit(&vcpu_requests.word, memory_order_relaxed);
  OPAQUE(req);
  atomic_store_explicit(&vcpu_mode.word, IN_GUEST_MODE, memory_order_seq_cst);
}

static inline long entry_after_check(int ok) {
  long pending = atomic_load_explicit(&vcpu_requests.word, memory_order_acquire) + (ok ? 0 : 1);
  atomic_store_explicit(&vcpu_mode.word, OUTSIDE_GUEST_MODE, memory_order_release);
  return pending;
}

/* ---- batches: each runs its shape n times and returns a value derived from the work ---- */

static long empty_loop(long n) {
  long x = 0;
  for (long i = 0; i < n; i++) { x += i; OPAQUE(x); }
  return x;
}
static long relaxed_load(long n) {
  long x = 0;
  for (long i = 0; i < n; i++) x += atomic_load_explicit(&raw[i & 7].word, memory_order_relaxed);
  return x;
}
static long four_relaxed_loads(long n) {
  long x = 0;
  for (long i = 0; i < n; i++) {
    struct gpc *a = &caches[2 * (i & 3) % MAX_CACHES];
    struct gpc *b = &caches[(2 * (i & 3) + 1) % MAX_CACHES];
    x += atomic_load_explicit(&a->active, memory_order_relaxed) + atomic_load_explicit(&a->valid, memory_order_relaxed) +
         atomic_load_explicit(&b->active, memory_order_relaxed) + atomic_load_explicit(&b->valid, memory_order_relaxed);
  }
  return x;
}
static long acquire_load(long n) {
  long x = 0;
  for (long i = 0; i < n; i++) x += atomic_load_explicit(&raw[MAX_CACHES].word, memory_order_acquire);
  return x;
}
static long acquire_load_compare(long n) {
  long snapshot = vcpu_generation;
  long ok = 0;
  for (long i = 0; i < n; i++) ok += atomic_load_explicit(&raw[MAX_CACHES].word, memory_order_acquire) == snapshot;
  return ok;
}
static long add_load_sub(long n) {
  long x = 0;
  for (long i = 0; i < n; i++) {
    atomic_fetch_add_explicit(&raw[0].word, QR_READER, memory_order_acquire);
    x += atomic_load_explicit(&raw[MAX_CACHES].word, memory_order_acquire);
    atomic_fetch_sub_explicit(&raw[0].word, QR_READER, memory_order_release);
  }
  return x;
}
static long add_sub_lines(long n, int lines) {
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < lines; k++) {
      atomic_fetch_add_explicit(&raw[k].word, QR_READER, memory_order_acquire);
      atomic_fetch_sub_explicit(&raw[k].word, QR_READER, memory_order_release);
    }
  }
  return atomic_load_explicit(&raw[0].word, memory_order_relaxed);
}
static long add_sub_1(long n) { return add_sub_lines(n, 1); }
static long add_sub_2(long n) { return add_sub_lines(n, 2); }
static long add_sub_3(long n) { return add_sub_lines(n, 3); }
static long add_sub_8(long n) { return add_sub_lines(n, 8); }

static long check_generation_batch(long n) {
  long ok = 0;
  for (long i = 0; i < n; i++) ok += check_generation();
  return ok;
}
static long check_lockless_batch(long n) {
  long ok = 0;
  for (long i = 0; i < n; i++) ok += check_lockless_refreshing();
  return ok;
}
static long check_locked_batch(long n, int caches_n) {
  long ok = 0;
  for (long i = 0; i < n; i++) ok += check_locked_refreshing(caches_n);
  return ok;
}
static long check_locked_1(long n) { return check_locked_batch(n, 1); }
static long check_locked_2(long n) { return check_locked_batch(n, 2); }
static long check_locked_3(long n) { return check_locked_batch(n, 3); }
static long check_locked_8(long n) { return check_locked_batch(n, 8); }

static long vmentry_empty(long n) {
  long pending = 0;
  for (long i = 0; i < n; i++) { entry_before_check(); pending += entry_after_check(1); }
  return pending;
}
static long vmentry_generation(long n) {
  long pending = 0;
  for (long i = 0; i < n; i++) { entry_before_check(); pending += entry_after_check(check_generation()); }
  return pending;
}
static long vmentry_lockless(long n) {
  long pending = 0;
  for (long i = 0; i < n; i++) { entry_before_check(); pending += entry_after_check(check_lockless_refreshing()); }
  return pending;
}
static long vmentry_locked_batch(long n, int caches_n) {
  long pending = 0;
  for (long i = 0; i < n; i++) { entry_before_check(); pending += entry_after_check(check_locked_refreshing(caches_n)); }
  return pending;
}
static long vmentry_locked_1(long n) { return vmentry_locked_batch(n, 1); }
static long vmentry_locked_2(long n) { return vmentry_locked_batch(n, 2); }
static long vmentry_locked_3(long n) { return vmentry_locked_batch(n, 3); }
static long vmentry_locked_8(long n) { return vmentry_locked_batch(n, 8); }

struct variant {
  const char *name;
  const char *floor; /* NULL: none */
  long (*run)(long n);
};

static const struct variant VARIANTS[] = {
    {"floor: empty loop", NULL, empty_loop},
    {"raw: relaxed load", "floor: empty loop", relaxed_load},
    {"raw: 4 relaxed loads", "floor: empty loop", four_relaxed_loads},
    {"raw: acquire load", "floor: empty loop", acquire_load},
    {"raw: acquire load+compare", "floor: empty loop", acquire_load_compare},
    {"raw: add+load+sub", "raw: add+sub", add_load_sub},
    {"raw: add+sub", "floor: empty loop", add_sub_1},
    {"raw: add+sub x2", "floor: empty loop", add_sub_2},
    {"raw: add+sub x3", "floor: empty loop", add_sub_3},
    {"raw: add+sub x8", "floor: empty loop", add_sub_8},
    {"check: generation", "raw: acquire load+compare", check_generation_batch},
    {"check: lockless", "raw: 4 relaxed loads", check_lockless_batch},
    {"check: locked x1", "raw: add+sub", check_locked_1},
    {"check: locked x2", "raw: add+sub x2", check_locked_2},
    {"check: locked x3", "raw: add+sub x3", check_locked_3},
    {"check: locked x8", "raw: add+sub x8", check_locked_8},
    {"vmentry: empty", NULL, vmentry_empty},
    {"vmentry: generation", "vmentry: empty", vmentry_generation},
    {"vmentry: lockless", "vmentry: empty", vmentry_lockless},
    {"vmentry: locked x1", "vmentry: empty", vmentry_locked_1},
    {"vmentry: locked x2", "vmentry: empty", vmentry_locked_2},
    {"vmentry: locked x3", "vmentry: empty", vmentry_locked_3},
    {"vmentry: locked x8", "vmentry: empty", vmentry_locked_8},
};
#define VARIANT_COUNT ((int)(sizeof VARIANTS / sizeof VARIANTS[0]))

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long parse_count(const char *flag, const char *value, long lo, long hi) {
  char *end = NULL;
  long v = value ? strtol(value, &end, 10) : 0;
  if (!value || *value == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "vmentry-checks: %s must be an integer in %ld..%ld, got '%s'\n", flag, lo, hi, value ? value : "");
    exit(2);
  }
  return v;
}

static int find_variant(const char *name) {
  for (int i = 0; i < VARIANT_COUNT; i++)
    if (strcmp(VARIANTS[i].name, name) == 0) return i;
  return -1;
}

static void init_state(void) {
  atomic_store(&memslots_generation.word, 42);
  vcpu_generation = 42;
  for (int k = 0; k < MAX_CACHES; k++) {
    atomic_store(&caches[k].lock, 0);
    atomic_store(&caches[k].active, 1);
    atomic_store(&caches[k].valid, 1);
    caches[k].gpa = 0x1000L * (k + 1);
    cache_gpa[k] = caches[k].gpa;
    caches[k].generation = 42;
    caches[k].uhva = 0x7f0000000000L + 0x1000L * k;
  }
  atomic_store(&raw[MAX_CACHES].word, 42);
}

int main(int argc, char **argv) {
  long batch = 100000, samples = 15, warmup = 3;
  int selected[VARIANT_COUNT];
  int count = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--batch") == 0) batch = parse_count("--batch", i + 1 < argc ? argv[++i] : NULL, 1, 100000000);
    else if (strcmp(argv[i], "--samples") == 0) samples = parse_count("--samples", i + 1 < argc ? argv[++i] : NULL, 1, 100000);
    else if (strcmp(argv[i], "--warmup") == 0) warmup = parse_count("--warmup", i + 1 < argc ? argv[++i] : NULL, 0, 1000);
    else if (strcmp(argv[i], "--notifier-rate") == 0) notifier_rate = parse_count("--notifier-rate", i + 1 < argc ? argv[++i] : NULL, 0, 1000000);
    else if (strcmp(argv[i], "--list") == 0) {
      for (int v = 0; v < VARIANT_COUNT; v++) printf("%s\n", VARIANTS[v].name);
      return 0;
    } else {
      int v = find_variant(argv[i]);
      if (v < 0) {
        fprintf(stderr, "vmentry-checks: unknown variant '%s' (--list names them)\n", argv[i]);
        return 2;
      }
      int seen = 0;
      for (int k = 0; k < count; k++) seen |= selected[k] == v;
      if (!seen) selected[count++] = v;
    }
  }
  if (count == 0)
    for (int v = 0; v < VARIANT_COUNT; v++) selected[count++] = v;
  /* A selected variant's floor is measured too (its ratio needs it). */
  for (int k = 0; k < count; k++) {
    const char *floor = VARIANTS[selected[k]].floor;
    if (!floor) continue;
    int f = find_variant(floor), seen = 0;
    for (int j = 0; j < count; j++) seen |= selected[j] == f;
    if (!seen) selected[count++] = f;
  }
  init_state();
  double *out = calloc((size_t)count * (size_t)samples, sizeof(double));
  long *failed = calloc((size_t)count, sizeof(long));
  if (!out || !failed) { fprintf(stderr, "vmentry-checks: out of memory\n"); return 1; }
  pthread_t notifier;
  double notifier_start = now_ns();
  if (notifier_rate > 0 && pthread_create(&notifier, NULL, notifier_main, NULL) != 0) {
    fprintf(stderr, "vmentry-checks: cannot start the notifier thread\n");
    return 1;
  }
  /* The start barrier: the timing begins once the notifier has made its first pass (bounded: 10 s). */
  while (notifier_rate > 0 && !atomic_load_explicit(&notifier_started, memory_order_acquire)) {
    if (now_ns() - notifier_start > 10e9) {
      fprintf(stderr, "vmentry-checks: the notifier thread did not start within 10 s\n");
      return 1;
    }
    struct timespec pause = {0, 100000};
    nanosleep(&pause, NULL);
  }
  long acc = 0;
  for (long round = 0; round < warmup + samples; round++) {
    for (int k = 0; k < count; k++) {
      int v = (int)((k + round) % count); /* rotate the order every round, as batch-timer.ts does */
      const struct variant *var = &VARIANTS[selected[v]];
      long refreshed = refreshes;
      double start = now_ns();
      acc += var->run(batch);
      double end = now_ns();
      failed[v] += refreshes - refreshed; /* warm-up included, as the model's counters */
      if (round >= warmup) out[(size_t)v * (size_t)samples + (size_t)(round - warmup)] = (end - start) / (double)batch;
    }
  }
  sink = acc;
  double notifier_seconds = (now_ns() - notifier_start) / 1e9;
  if (notifier_rate > 0) {
    atomic_store(&notifier_stop, 1);
    pthread_join(notifier, NULL);
  }
  printf("{\"batchSize\":%ld,\"samples\":%ld,\"warmup\":%ld,\"notifier\":{\"rate\":%ld,\"events\":%ld,\"seconds\":%.4f},\"variants\":[",
         batch, samples, warmup, notifier_rate, notifier_events, notifier_seconds);
  for (int k = 0; k < count; k++) {
    const struct variant *var = &VARIANTS[selected[k]];
    printf("%s{\"name\":\"%s\",\"floor\":", k ? "," : "", var->name);
    if (var->floor) printf("\"%s\"", var->floor); else printf("null");
    printf(",\"operations\":%ld,\"refreshes\":%ld,\"samples\":[", (warmup + samples) * batch, failed[k]);
    for (long s = 0; s < samples; s++) printf("%s%.4f", s ? "," : "", out[(size_t)k * (size_t)samples + (size_t)s]);
    printf("]}");
  }
  printf("]}\n");
  free(out);
  free(failed);
  return 0;
}

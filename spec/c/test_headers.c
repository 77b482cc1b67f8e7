/*
 * test_headers.c - azc_headers: the CaseInsensitiveDict rules (BEHAVIOR §9.1), folding of
 * repeated headers, header-injection checks, and linear behaviour on 10,000 names.
 */
#include "azc_headers.h"
#include "ctest.h"

#include <stdio.h>
#include <string.h>

#define S(lit) lit, (sizeof lit - 1)

static int set(azc_headers *h, const char *n, const char *v) {
  return azc_headers_set(h, n, strlen(n), v, strlen(v));
}

static int add(azc_headers *h, const char *n, const char *v) {
  return azc_headers_add(h, n, strlen(n), v, strlen(v));
}

static const char *get(const azc_headers *h, const char *n) {
  return azc_headers_get(h, n, strlen(n), NULL);
}

/* "name=value;name=value" in iteration order, for order/case assertions. */
static const char *dump(const azc_headers *h) {
  static char out[4096];
  size_t it = 0, nl, vl, used = 0;
  const char *n, *v;
  out[0] = '\0';
  while (azc_headers_next(h, &it, &n, &nl, &v, &vl)) {
    int k = snprintf(out + used, sizeof out - used, "%s%s=%s", used ? ";" : "", n, v);
    CHECK_INT(strlen(n), nl);
    CHECK_INT(strlen(v), vl);
    if (k < 0 || (size_t)k >= sizeof out - used)
      break;
    used += (size_t)k;
  }
  return out;
}

static void test_new_empty(void) {
  azc_headers *h = azc_headers_new();
  size_t it = 0;
  CHECK(h != NULL);
  CHECK_INT(azc_headers_count(h), 0);
  CHECK(get(h, "Accept") == NULL);
  CHECK_INT(azc_headers_remove(h, S("Accept")), 0);
  CHECK_INT(azc_headers_next(h, &it, NULL, NULL, NULL, NULL), 0);
  CHECK_STR(dump(h), "");
  azc_headers_unref(h);
  azc_headers_unref(NULL);
}

static void test_set_get_case_insensitive(void) {
  azc_headers *h = azc_headers_new();
  size_t len = 99;
  const char *v;
  CHECK_INT(set(h, "Content-Type", "application/json"), AZC_OK);
  v = azc_headers_get(h, S("content-type"), &len);
  CHECK_STR(v, "application/json");
  CHECK_INT(len, 16);
  CHECK_STR(get(h, "CONTENT-TYPE"), "application/json");
  CHECK_STR(get(h, "Content-Type"), "application/json");
  CHECK(get(h, "Content-Typ") == NULL);
  CHECK(get(h, "Content-Type2") == NULL);
  CHECK_INT(azc_headers_count(h), 1);
  azc_headers_unref(h);
}

static void test_last_write_case_first_position(void) {
  /* §9.1: d = {"Accept": "x"}; d["ACCEPT"] = "y" -> keys() == ["ACCEPT"], position kept. */
  azc_headers *h = azc_headers_new();
  set(h, "Accept", "x");
  set(h, "B", "1");
  set(h, "ACCEPT", "y");
  CHECK_STR(dump(h), "ACCEPT=y;B=1");
  CHECK_INT(azc_headers_count(h), 2);
  set(h, "accept", "z");
  CHECK_STR(dump(h), "accept=z;B=1");
  /* Same case again: value replaced only. */
  set(h, "accept", "w");
  CHECK_STR(dump(h), "accept=w;B=1");
  azc_headers_unref(h);
}

static void test_remove_then_reinsert_goes_to_end(void) {
  /* CaseInsensitiveDict: del then set puts the name at the end. */
  azc_headers *h = azc_headers_new();
  set(h, "Accept", "x");
  set(h, "b", "1");
  CHECK_INT(azc_headers_remove(h, S("ACCEPT")), 1);
  CHECK_INT(azc_headers_remove(h, S("accept")), 0);
  CHECK(get(h, "accept") == NULL);
  set(h, "Accept", "z");
  CHECK_STR(dump(h), "b=1;Accept=z");
  CHECK_INT(azc_headers_count(h), 2);
  azc_headers_unref(h);
}

static void test_add_folds(void) {
  azc_headers *h = azc_headers_new();
  CHECK_INT(add(h, "Set-Cookie", "a"), AZC_OK);
  CHECK_INT(add(h, "X-Other", "o"), AZC_OK);
  CHECK_INT(add(h, "set-cookie", "b"), AZC_OK);
  CHECK_INT(add(h, "SET-COOKIE", "c"), AZC_OK);
  /* urllib3 folds into the first-seen case. */
  CHECK_STR(dump(h), "Set-Cookie=a, b, c;X-Other=o");
  /* Empty values fold too: ("X-A", ""), ("x-a", "c") -> ", c". */
  add(h, "X-A", "");
  add(h, "x-a", "c");
  CHECK_STR(get(h, "x-a"), ", c");
  add(h, "x-b", "v");
  add(h, "x-b", "");
  CHECK_STR(get(h, "X-B"), "v, ");
  CHECK_INT(azc_headers_count(h), 4);
  /* Folding a value into itself (the value pointer aliases the stored value). */
  {
    size_t len;
    const char *own = azc_headers_get(h, S("x-other"), &len);
    CHECK_INT(azc_headers_add(h, S("X-Other"), own, len), AZC_OK);
    CHECK_STR(get(h, "x-other"), "o, o");
    own = azc_headers_get(h, S("x-other"), &len);
    CHECK_INT(azc_headers_set(h, S("X-Other"), own + 3, len - 3), AZC_OK);
    CHECK_STR(get(h, "x-other"), "o");
    CHECK_STR(dump(h), "Set-Cookie=a, b, c;X-Other=o;X-A=, c;x-b=v, ");
  }
  /* set after add replaces the folded value. */
  set(h, "set-cookie", "only");
  CHECK_STR(get(h, "Set-Cookie"), "only");
  azc_headers_unref(h);
}

static void test_rejects_injection(void) {
  azc_headers *h = azc_headers_new();
  CHECK_INT(azc_headers_set(h, "", 0, S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, NULL, 0, S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A\r\nEvil"), S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A\n"), S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A"), S("v\r\nX-Evil: 1")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A"), S("v\rx")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A"), S("v\nx")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, S("X-A"), "v\0x", 3), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_set(h, "X\0A", 3, S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_add(h, "", 0, S("v")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_add(h, S("X-A"), S("a\nb")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_count(h), 0);
  /* A rejected write leaves an existing entry alone. */
  set(h, "X-A", "good");
  CHECK_INT(azc_headers_set(h, S("x-a"), S("bad\n")), AZC_ERR_VALUE);
  CHECK_INT(azc_headers_add(h, S("x-a"), S("bad\r")), AZC_ERR_VALUE);
  CHECK_STR(dump(h), "X-A=good");
  /* API misuse. */
  CHECK_INT(azc_headers_set(NULL, S("a"), S("b")), AZC_ERR_ARG);
  CHECK_INT(azc_headers_set(h, S("a"), NULL, 3), AZC_ERR_ARG);
  /* Empty values, tabs and other bytes are fine. */
  CHECK_INT(azc_headers_set(h, S("Empty"), NULL, 0), AZC_OK);
  CHECK_STR(get(h, "empty"), "");
  CHECK_INT(azc_headers_set(h, S("Tab"), S("a\tb \xc3\xa9")), AZC_OK);
  CHECK_STR(get(h, "tab"), "a\tb \xc3\xa9");
  azc_headers_unref(h);
}

static void test_values_nul_terminated_and_lengths(void) {
  azc_headers *h = azc_headers_new();
  size_t len = 0;
  const char *v;
  /* Name and value given by length, not NUL-terminated. */
  CHECK_INT(azc_headers_set(h, "X-Len-ignored", 5, "abcdef", 3), AZC_OK);
  v = azc_headers_get(h, "x-len", 5, &len);
  CHECK_STR(v, "abc");
  CHECK_INT(len, 3);
  CHECK(get(h, "X-Len-ignored") == NULL);
  CHECK_STR(dump(h), "X-Len=abc");
  azc_headers_unref(h);
}

static void test_non_ascii_not_folded(void) {
  /* Only ASCII letters fold: UTF-8 bytes compare exactly. */
  azc_headers *h = azc_headers_new();
  set(h, "X-\xc3\xa9", "1");
  CHECK_STR(get(h, "x-\xc3\xa9"), "1");
  CHECK(get(h, "X-\xc3\x89") == NULL);
  set(h, "X-[", "2"); /* '[' is 0x5B, 'Z'+1: must not fold into '{' (0x7B) */
  CHECK(get(h, "x-{") == NULL);
  CHECK_STR(get(h, "x-["), "2");
  azc_headers_unref(h);
}

static void test_fold_every_length(void) {
  /* names of 1..40 bytes (the hash reads 8 at a time, then a tail): found in the other case,
   * with the index (> 4 entries) and without; names that differ only by bytes the hash folds
   * together ('@' and '`', '[' and '{') stay apart */
  azc_headers *h = azc_headers_new();
  char up[48], low[48], val[8];
  size_t len, i;
  for (len = 1; len <= 40; len++) {
    for (i = 0; i < len; i++) {
      up[i] = (char)('A' + (len + i) % 26);
      low[i] = (char)(up[i] + 32);
    }
    up[len] = low[len] = '\0';
    snprintf(val, sizeof val, "%u", (unsigned)len);
    CHECK_INT(set(h, up, val), AZC_OK);
    CHECK_STR(get(h, low), val);
  }
  for (len = 1; len <= 40; len++) {
    for (i = 0; i < len; i++)
      low[i] = (char)('a' + (len + i) % 26);
    low[len] = '\0';
    snprintf(val, sizeof val, "%u", (unsigned)len);
    CHECK_STR(get(h, low), val);
  }
  CHECK_INT(set(h, "x-a@b-long-name", "at"), AZC_OK);
  CHECK_INT(set(h, "X-A`B-LONG-NAME", "tick"), AZC_OK);
  CHECK_STR(get(h, "x-a@b-long-name"), "at");
  CHECK_STR(get(h, "x-a`b-long-name"), "tick");
  CHECK_INT((int)azc_headers_count(h), 42);
  azc_headers_unref(h);
}

static void test_arena_then_blocks(void) {
  /* the first names and values live in the map (256 bytes), later ones in their own blocks;
   * replacing, folding (add) and removing work the same on both, and clear starts over */
  azc_headers *h = azc_headers_new(), *c;
  char name[16], value[64];
  int i;
  for (i = 0; i < 12; i++) { /* ~12 x 50 bytes: past the arena */
    snprintf(name, sizeof name, "X-H%02d", i);
    snprintf(value, sizeof value, "value-%02d-0123456789012345678901234567890123", i);
    CHECK_INT(set(h, name, value), AZC_OK);
  }
  CHECK_STR(get(h, "x-h00"), "value-00-0123456789012345678901234567890123");
  CHECK_STR(get(h, "x-h11"), "value-11-0123456789012345678901234567890123");
  CHECK_INT(set(h, "X-H00", "short"), AZC_OK);            /* replace an arena entry */
  CHECK_INT(add(h, "x-h01", "more"), AZC_OK);             /* fold: moves out to grow */
  CHECK_STR(get(h, "X-H01"), "value-01-0123456789012345678901234567890123, more");
  CHECK_INT(add(h, "X-H01", get(h, "X-H01")), AZC_OK);   /* folding a value into itself */
  CHECK_STR(get(h, "x-h01"), "value-01-0123456789012345678901234567890123, more, "
                             "value-01-0123456789012345678901234567890123, more");
  CHECK_INT(add(h, "x-h11", "tail"), AZC_OK);             /* fold a malloc'd entry */
  CHECK(azc_headers_remove(h, "X-H02", 5));
  CHECK(get(h, "x-h02") == NULL);
  CHECK_STR(get(h, "x-h00"), "short");
  c = azc_headers_copy(h);
  CHECK_INT((int)azc_headers_count(c), 11);
  CHECK_STR(get(c, "x-h11"), "value-11-0123456789012345678901234567890123, tail");
  azc_headers_clear(h);
  CHECK_INT((int)azc_headers_count(h), 0);
  CHECK_INT(set(h, "A", "1"), AZC_OK); /* the arena is reused after clear */
  CHECK_STR(get(h, "a"), "1");
  azc_headers_unref(c);
  azc_headers_unref(h);
}

static void test_refcount_and_copy(void) {
  azc_headers *h = azc_headers_new(), *c;
  set(h, "A", "1");
  set(h, "B", "2");
  set(h, "C", "3");
  azc_headers_remove(h, S("b"));
  CHECK(azc_headers_ref(h) == h);
  azc_headers_unref(h); /* still alive: one reference left */
  CHECK_STR(get(h, "a"), "1");
  c = azc_headers_copy(h);
  CHECK(c != NULL && c != h);
  CHECK_STR(dump(c), "A=1;C=3");
  /* Independent: changes to one do not show in the other. */
  set(c, "a", "changed");
  set(h, "D", "4");
  CHECK_STR(dump(c), "a=changed;C=3");
  CHECK_STR(dump(h), "A=1;C=3;D=4");
  azc_headers_unref(h);
  CHECK_STR(get(c, "C"), "3");
  azc_headers_unref(c);
  CHECK(azc_headers_copy(NULL) == NULL);
  CHECK(azc_headers_ref(NULL) == NULL);
}

static void test_clear(void) {
  azc_headers *h = azc_headers_new();
  set(h, "A", "1");
  set(h, "B", "2");
  azc_headers_clear(h);
  CHECK_INT(azc_headers_count(h), 0);
  CHECK(get(h, "a") == NULL);
  CHECK_STR(dump(h), "");
  set(h, "b", "3");
  set(h, "A", "4");
  CHECK_STR(dump(h), "b=3;A=4");
  azc_headers_clear(h);
  azc_headers_clear(h);
  CHECK_INT(azc_headers_count(h), 0);
  azc_headers_clear(NULL);
  azc_headers_unref(h);
}

static void test_iteration_skips_tombstones_and_remove_while_iterating(void) {
  azc_headers *h = azc_headers_new();
  size_t it = 0, seen = 0;
  const char *n;
  int i;
  char name[16];
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "H%d", i);
    set(h, name, "v");
  }
  for (i = 0; i < 10; i += 3) {
    snprintf(name, sizeof name, "h%d", i);
    CHECK_INT(azc_headers_remove(h, name, strlen(name)), 1);
  }
  CHECK_STR(dump(h), "H1=v;H2=v;H4=v;H5=v;H7=v;H8=v");
  /* Remove each entry right after it is returned, and change values on the way. */
  while (azc_headers_next(h, &it, &n, NULL, NULL, NULL)) {
    seen++;
    if (n[1] == '2' || n[1] == '7')
      CHECK_INT(azc_headers_remove(h, n, 2), 1);
    else
      set(h, n, "w");
  }
  CHECK_INT(seen, 6);
  CHECK_STR(dump(h), "H1=w;H4=w;H5=w;H8=w");
  CHECK_INT(azc_headers_count(h), 4);
  /* An exhausted iterator stays exhausted. */
  CHECK_INT(azc_headers_next(h, &it, &n, NULL, NULL, NULL), 0);
  CHECK_INT(azc_headers_next(NULL, &it, &n, NULL, NULL, NULL), 0);
  azc_headers_unref(h);
}

static void test_compaction_keeps_order(void) {
  /* Many removals followed by inserts trigger compaction; order and lookups must survive. */
  azc_headers *h = azc_headers_new();
  char name[32], want[64];
  int i, round;
  for (round = 0; round < 5; round++) {
    for (i = 0; i < 40; i++) {
      snprintf(name, sizeof name, "X-R%d-%d", round, i);
      set(h, name, "v");
    }
    for (i = 0; i < 40; i++) {
      if (i == 7)
        continue;
      snprintf(name, sizeof name, "x-r%d-%d", round, i);
      CHECK_INT(azc_headers_remove(h, name, strlen(name)), 1);
    }
  }
  CHECK_INT(azc_headers_count(h), 5);
  CHECK_STR(dump(h), "X-R0-7=v;X-R1-7=v;X-R2-7=v;X-R3-7=v;X-R4-7=v");
  for (round = 0; round < 5; round++) {
    snprintf(name, sizeof name, "x-R%d-7", round);
    CHECK_STR(get(h, name), "v");
  }
  snprintf(want, sizeof want, "%s", "X-R0-7=v;X-R1-7=v;X-R2-7=v;X-R3-7=v;X-R4-7=v;Z=1");
  set(h, "Z", "1");
  CHECK_STR(dump(h), want);
  azc_headers_unref(h);
}

static void test_many_headers_linear(void) {
  /* 10,000 distinct names: insert, look up, overwrite, remove half, re-add, remove all. With a
   * quadratic implementation this takes seconds; here it is instant (no timing assertion). */
  enum { N = 10000 };
  azc_headers *h = azc_headers_new(), *c;
  char name[32], value[32];
  size_t it = 0, seen = 0, nl;
  const char *n, *v;
  int i, ok = 1;
  for (i = 0; i < N; i++) {
    snprintf(name, sizeof name, "X-Header-%d", i);
    snprintf(value, sizeof value, "%d", i);
    ok &= set(h, name, value) == AZC_OK;
  }
  CHECK(ok);
  CHECK_INT(azc_headers_count(h), N);
  for (i = 0; i < N; i++) {
    snprintf(name, sizeof name, "x-header-%d", i);
    snprintf(value, sizeof value, "%d", i);
    v = get(h, name);
    ok &= v && strcmp(v, value) == 0;
  }
  CHECK(ok);
  for (i = 0; i < N; i++) {
    snprintf(name, sizeof name, "X-HEADER-%d", i);
    ok &= add(h, name, "x") == AZC_OK;
  }
  CHECK(ok);
  CHECK_STR(get(h, "x-header-9999"), "9999, x");
  for (i = 0; i < N; i += 2) {
    snprintf(name, sizeof name, "x-header-%d", i);
    ok &= azc_headers_remove(h, name, strlen(name)) == 1;
  }
  CHECK(ok);
  CHECK_INT(azc_headers_count(h), N / 2);
  for (i = 0; i < N; i += 2) {
    snprintf(name, sizeof name, "X-New-%d", i);
    ok &= set(h, name, "n") == AZC_OK;
  }
  CHECK(ok);
  /* Order: the odd originals (in their first case, as add keeps it), then the new names. */
  while (azc_headers_next(h, &it, &n, &nl, &v, NULL)) {
    if (seen < N / 2)
      snprintf(name, sizeof name, "X-Header-%d", (int)seen * 2 + 1);
    else
      snprintf(name, sizeof name, "X-New-%d", (int)(seen - N / 2) * 2);
    ok &= strcmp(n, name) == 0 && nl == strlen(name);
    seen++;
  }
  CHECK(ok);
  CHECK_INT(seen, N);
  c = azc_headers_copy(h);
  CHECK(c != NULL);
  CHECK_INT(azc_headers_count(c), N);
  for (i = 0; i < N; i++) {
    snprintf(name, sizeof name, i % 2 ? "x-header-%d" : "x-new-%d", i);
    ok &= azc_headers_remove(h, name, strlen(name)) == 1;
  }
  CHECK(ok);
  CHECK_INT(azc_headers_count(h), 0);
  CHECK_STR(dump(h), "");
  CHECK(get(h, "x-header-1") == NULL);
  CHECK_STR(get(c, "x-header-1"), "1, x");
  /* Alternating set/remove of one name: no growth without bound, stays correct. */
  for (i = 0; i < N; i++) {
    ok &= set(h, "Solo", "1") == AZC_OK;
    ok &= azc_headers_remove(h, S("solo")) == 1;
  }
  CHECK(ok);
  CHECK_INT(azc_headers_count(h), 0);
  azc_headers_unref(h);
  azc_headers_unref(c);
}

int main(void) {
  CTEST_RUN(test_new_empty);
  CTEST_RUN(test_set_get_case_insensitive);
  CTEST_RUN(test_last_write_case_first_position);
  CTEST_RUN(test_remove_then_reinsert_goes_to_end);
  CTEST_RUN(test_add_folds);
  CTEST_RUN(test_rejects_injection);
  CTEST_RUN(test_values_nul_terminated_and_lengths);
  CTEST_RUN(test_non_ascii_not_folded);
  CTEST_RUN(test_fold_every_length);
  CTEST_RUN(test_arena_then_blocks);
  CTEST_RUN(test_refcount_and_copy);
  CTEST_RUN(test_clear);
  CTEST_RUN(test_iteration_skips_tombstones_and_remove_while_iterating);
  CTEST_RUN(test_compaction_keeps_order);
  CTEST_RUN(test_many_headers_linear);
  CTEST_END();
}

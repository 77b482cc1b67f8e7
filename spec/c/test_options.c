/*
 * test_options.c - azc_options, the per-call options container: only given keys are set up
 * (init writes one mask word over whatever memory was there), replace frees the old value,
 * pop hides a value from has/get but not from given, move hands every value over, clear frees.
 * Leaks and reads of unset bytes are the ASan and valgrind lanes' to catch.
 */
#include "azc_options.h"
#include "ctest.h"

#include <string.h>

static void test_init_over_garbage(void) {
  azc_options o;
  int k;
  memset(&o, 0xAB, sizeof o); /* init must not depend on zeroed memory */
  azc_options_init(&o);
  for (k = 0; k < AZC_OPT__COUNT; k++) {
    CHECK(!azc_options_has(&o, (azc_opt)k));
    CHECK(azc_options_get(&o, (azc_opt)k) == NULL);
    CHECK(azc_options_given(&o, (azc_opt)k) == NULL);
    CHECK(azc_options_pop(&o, (azc_opt)k) == NULL);
  }
  CHECK(azc_options_given(&o, (azc_opt)-1) == NULL);
  CHECK(azc_options_given(&o, (azc_opt)AZC_OPT__COUNT) == NULL);
  azc_options_clear(&o); /* owns nothing: frees nothing */
}

static void test_set_replace_pop(void) {
  azc_options o;
  const azc_optval *v;
  azc_headers *h = azc_headers_new();
  memset(&o, 0xAB, sizeof o);
  azc_options_init(&o);
  CHECK_INT(azc_options_set_string(&o, AZC_OPT_REQUEST_ID, "abc", 3), AZC_OK);
  CHECK_INT(azc_options_set_string(&o, AZC_OPT_REQUEST_ID, "replaced", 8), AZC_OK);
  CHECK_INT(azc_options_set_bool(&o, AZC_OPT_STREAM, 1), AZC_OK);
  CHECK_INT(azc_options_set_number(&o, AZC_OPT_RETRY_TOTAL, 3), AZC_OK);
  CHECK_INT(azc_options_set_headers(&o, AZC_OPT_HEADERS, h), AZC_OK);
  CHECK_INT(azc_options_set_none(&o, AZC_OPT_USER_AGENT), AZC_OK);
  CHECK_INT(azc_options_set_bool(&o, (azc_opt)AZC_OPT__COUNT, 1), AZC_ERR_ARG);
  v = azc_options_get(&o, AZC_OPT_REQUEST_ID);
  CHECK(v && v->type == AZC_OPTV_STRING);
  CHECK_STR(v ? v->str : NULL, "replaced");
  v = azc_options_get(&o, AZC_OPT_STREAM);
  CHECK(v && v->type == AZC_OPTV_BOOL && v->b == 1 && !v->popped);
  v = azc_options_get(&o, AZC_OPT_USER_AGENT);
  CHECK(v && v->type == AZC_OPTV_NONE && v->str == NULL);
  CHECK(!azc_options_has(&o, AZC_OPT_TIMEOUT));
  /* popped: gone for has/get/pop, still readable as given */
  v = azc_options_pop(&o, AZC_OPT_RETRY_TOTAL);
  CHECK(v && v->type == AZC_OPTV_NUMBER && v->num == 3);
  CHECK(!azc_options_has(&o, AZC_OPT_RETRY_TOTAL));
  CHECK(azc_options_pop(&o, AZC_OPT_RETRY_TOTAL) == NULL);
  v = azc_options_given(&o, AZC_OPT_RETRY_TOTAL);
  CHECK(v && v->popped && v->num == 3);
  /* setting a popped key again gives a fresh, unpopped value */
  CHECK_INT(azc_options_set_number(&o, AZC_OPT_RETRY_TOTAL, 5), AZC_OK);
  v = azc_options_get(&o, AZC_OPT_RETRY_TOTAL);
  CHECK(v && !v->popped && v->num == 5);
  azc_options_clear(&o);
  CHECK(!azc_options_has(&o, AZC_OPT_REQUEST_ID));
  CHECK(azc_options_given(&o, AZC_OPT_HEADERS) == NULL);
  azc_headers_unref(h);
}

static void test_move(void) {
  azc_options a, b;
  const azc_optval *v;
  memset(&b, 0xCD, sizeof b);
  azc_options_init(&a);
  azc_options_init(&b);
  azc_options_set_string(&a, AZC_OPT_USER_AGENT, "ua/1", 4);
  azc_options_set_bool(&a, AZC_OPT_STREAM, 0);
  azc_options_pop(&a, AZC_OPT_STREAM);
  azc_options_set_number(&a, AZC_OPT_RAW_RESPONSE_HOOK, 1); /* the last keys move too */
  azc_options_move(&b, &a);
  CHECK(azc_options_given(&a, AZC_OPT_USER_AGENT) == NULL); /* a owns nothing now */
  v = azc_options_get(&b, AZC_OPT_USER_AGENT);
  CHECK_STR(v ? v->str : NULL, "ua/1");
  v = azc_options_given(&b, AZC_OPT_STREAM);
  CHECK(v && v->popped && v->b == 0);
  CHECK(azc_options_has(&b, AZC_OPT_RAW_RESPONSE_HOOK));
  CHECK(!azc_options_has(&b, AZC_OPT_TIMEOUT));
  azc_options_clear(&a);
  azc_options_clear(&b);
}

int main(void) {
  CTEST_RUN(test_init_over_garbage);
  CTEST_RUN(test_set_replace_pop);
  CTEST_RUN(test_move);
  CTEST_END();
}

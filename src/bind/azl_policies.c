/*
 * azl_policies.c - registers every native policy class into the module table.
 */
#include "azl.h"

void azl_policy_open_all(lua_State *L) {
  azl_policy_basic_open(L);
  azl_policy_retry_open(L);
  azl_policy_redirect_open(L);
  azl_policy_content_decode_open(L);
  azl_policy_custom_hook_open(L);
  azl_policy_proxy_open(L);
  azl_policy_cleanup_open(L);
  azl_policy_logging_open(L);
  azl_policy_auth_open(L);
}

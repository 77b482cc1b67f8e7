/*
 * azl_gc.c - telling Lua's collector about the C memory its objects keep alive.
 *
 * A request or response userdata is a few dozen bytes to Lua, but it owns a C block, a header
 * map and a body. Left uncounted, the collector runs as if that memory did not exist: between
 * two collections a loop of requests piles up hundreds of dead C objects (a working set larger
 * than the CPU caches, measured at ~10% of the client's CPU per request), and large bodies that
 * were never turned into Lua strings pile up by the megabyte. Each new object therefore adds its
 * C bytes to the collector's debt (lua_gc LUA_GCSTEP), which is what the Lua manual provides for
 * external memory: collections come as often as the true allocation rate asks for.
 *
 * The debt is added before the new object exists, so a collection it triggers cannot see (and
 * promote) the object being made. Bytes below 1 KiB carry over in a per-state accumulator kept
 * in the registry. A collector the program stopped stays stopped; PUC Lua 5.1 cannot say whether
 * it is (no LUA_GCISRUNNING, and its LUA_GCSTEP would restart it), so there nothing is counted.
 */
#include "azl.h"

static const char ACC_KEY = 0; /* its address keys the accumulator in the registry */

void azl_gc_open(lua_State *L) {
  size_t *acc = lua_newuserdata(L, sizeof *acc);
  *acc = 0;
  lua_pushlightuserdata(L, (void *)&ACC_KEY);
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

void azl_gc_account(lua_State *L, size_t bytes) {
#ifdef LUA_GCISRUNNING
  size_t *acc, kb;
  if (bytes == 0)
    return;
  lua_pushlightuserdata(L, (void *)&ACC_KEY);
  lua_rawget(L, LUA_REGISTRYINDEX);
  acc = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!acc)
    return;
  *acc += bytes;
  if (*acc < 1024)
    return;
  kb = *acc >> 10;
  *acc &= 1023;
  if (!lua_gc(L, LUA_GCISRUNNING, 0))
    return;
  lua_gc(L, LUA_GCSTEP, kb > 1048576 ? 1048576 : (int)kb);
#else
  (void)L;
  (void)bytes;
#endif
}

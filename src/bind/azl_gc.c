/*
 * azl_gc.c - telling Lua's collector about the C memory its objects keep alive.
 *
 * A request or response userdata is a few dozen bytes to Lua, but it can own a body of any size
 * in C. Left uncounted, the collector runs as if that memory did not exist, and a loop that drops
 * large responses whose bodies were never turned into Lua strings (or requests with large byte
 * bodies) piles them up by the megabyte until the Lua heap itself grows enough. So a new object
 * with a large footprint adds its C bytes to the collector's debt (lua_gc LUA_GCSTEP), what the
 * Lua manual provides for external memory: collections come as often as the true allocation rate
 * asks for.
 *
 * Small objects are not counted. Counting them too helps Lua 5.4's generational mode (3-4% less
 * CPU per request in bench/, as dead requests are freed while still in cache) but makes the
 * incremental collectors (LuaJIT, and Lua 5.4 in hosts that keep its default mode) run whole
 * cycles several times as often: 8% more CPU per request under LuaJIT. A library cannot ask which
 * mode the host runs without switching it, so it takes the choice that costs no one.
 *
 * The debt is added before the new object exists, so a collection it triggers cannot see (and
 * promote) the object being made. Bytes below 1 KiB carry over in a per-state accumulator kept
 * in the registry. A collector the program stopped stays stopped; PUC Lua 5.1 cannot say whether
 * it is (no LUA_GCISRUNNING, and its LUA_GCSTEP would restart it), so there nothing is counted.
 */
#include "azl.h"

static const char ACC_KEY = 0; /* its address keys the accumulator in the registry */

/* Footprints below this are left to the collector's own pace (see above). */
#define MIN_COUNTED 4096

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
  if (bytes < MIN_COUNTED)
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

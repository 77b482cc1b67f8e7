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
 * Small objects (most requests and responses: a few hundred bytes of C each) are not counted:
 * that makes the incremental collectors (LuaJIT, and Lua 5.4 in hosts that keep its default
 * mode) run whole cycles several times as often, 8% more CPU per request under LuaJIT. Under
 * Lua 5.4's generational mode (the lua5.4 interpreter's), what they need is to die young: left
 * to the default pace, a loop of requests piles up a few hundred dead ones between minor
 * collections, more than the CPU caches hold. So in generational mode every NUDGE_EVERY small
 * objects ask for one minor collection (lua_gc LUA_GCSTEP 0), which only walks the young
 * objects: 3-4% less CPU per request in bench/. Under an incremental collector the same call is
 * a step of a full cycle and costs more than it saves (+9% for Lua 5.4), so nothing is done.
 *
 * Knowing the mode: Lua 5.4 can only tell it by setting it. LUA_GCGEN returns the mode it
 * leaves and is a no-op in generational mode, so it is the probe: asked when the module opens
 * and again before each minor collection this file requests (the program may switch modes).
 * Found incremental, the probe has switched to generational (a full collection) and the mode is
 * put back at once; from then on this state is left alone. That costs incremental hosts one
 * full collection, usually at `require` time when the heap is small.
 *
 * The debt is added before the new object exists, so a collection it triggers cannot see (and
 * promote) the object being made. Bytes below 1 KiB carry over in a per-state record kept in the
 * registry. A collector the program stopped stays stopped; PUC Lua 5.1 cannot say whether it is
 * (no LUA_GCISRUNNING, and its LUA_GCSTEP would restart it), so there nothing is done.
 */
#include "azl.h"

static const char STATE_KEY = 0; /* its address keys the per-state record in the registry */

/* Footprints below this are left to the collector's own pace (see above). */
#define MIN_COUNTED 4096
/* Small objects per minor collection asked for in generational mode: two per request (the
 * request and its response), so one every 16 requests. Of 16, 32 and 64, 32 measured best. */
#define NUDGE_EVERY 32

typedef enum gc_mode { MODE_UNKNOWN = 0, MODE_GENERATIONAL, MODE_OTHER } gc_mode;

/* A typed box (azl_box.c) without a metatable: box metatables keep it at [1], where Lua code can
 * reach it (getmetatable), so it is only used after azl_box_test says it is this record. */
static const azl_type gc_type = {"azure.core.CollectorRecord"};

typedef struct gc_state {
  const azl_type *type;
  size_t bytes;   /* counted bytes not yet handed over (< 1 KiB) */
  unsigned small; /* small objects since the last minor collection asked for */
  gc_mode mode;
} gc_state;

/* Is the collector in generational mode? Only for a running collector outside a finalizer. */
static gc_mode probe_mode(lua_State *L) {
#ifdef LUA_GCGEN
  int was = lua_gc(L, LUA_GCGEN, 0, 0);
  if (was == LUA_GCGEN)
    return MODE_GENERATIONAL;
  if (was == LUA_GCINC) {
    lua_gc(L, LUA_GCINC, 0, 0, 0); /* put the program's mode back, its settings unchanged */
    return MODE_OTHER;
  }
  return MODE_UNKNOWN; /* -1: called from a finalizer; ask again later */
#else
  (void)L;
  return MODE_OTHER;
#endif
}

static int running(lua_State *L) {
#ifdef LUA_GCISRUNNING
  return lua_gc(L, LUA_GCISRUNNING, 0) == 1;
#else
  (void)L;
  return 0;
#endif
}

void azl_gc_open(lua_State *L) {
  gc_state *st = lua_newuserdata(L, sizeof *st);
  st->type = &gc_type;
  st->bytes = 0;
  st->small = 0;
  st->mode = running(L) ? probe_mode(L) : MODE_UNKNOWN;
  lua_pushlightuserdata(L, (void *)&STATE_KEY);
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

static void small_object(lua_State *L, gc_state *st) {
  if (st->mode == MODE_OTHER || ++st->small < NUDGE_EVERY)
    return;
  st->small = 0;
  if (!running(L))
    return;
  st->mode = probe_mode(L);
  if (st->mode == MODE_GENERATIONAL)
    lua_gc(L, LUA_GCSTEP, 0); /* one minor collection */
}

void azl_gc_push_state(lua_State *L) {
  lua_pushlightuserdata(L, (void *)&STATE_KEY);
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void *azl_gc_state_at(lua_State *L, int idx) { return azl_box_test(L, idx, &gc_type); }

void azl_gc_account_with(lua_State *L, void *state, size_t bytes) {
  gc_state *st = state;
  size_t kb;
  if (!st)
    return;
  if (bytes < MIN_COUNTED) {
    small_object(L, st);
    return;
  }
  st->bytes += bytes;
  if (st->bytes < 1024)
    return;
  kb = st->bytes >> 10;
  st->bytes &= 1023;
  if (running(L))
    lua_gc(L, LUA_GCSTEP, kb > 1048576 ? 1048576 : (int)kb);
}

void azl_gc_account(lua_State *L, size_t bytes) {
  void *st;
  azl_gc_push_state(L);
  st = azl_gc_state_at(L, -1);
  lua_pop(L, 1);
  azl_gc_account_with(L, st, bytes);
}

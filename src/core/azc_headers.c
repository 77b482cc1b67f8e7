/*
 * azc_headers.c - ordered, case-insensitive header map.
 *
 * Layout: an array of entries in insertion order plus, once the map outgrows SMALL entries, an
 * open-addressing index (linear probing) keyed on the ASCII-lowercased name; small maps (most
 * requests and responses) are searched linearly by hash and allocate no index. Each entry's name
 * and value live in one block ("name\0value\0"), the first ones inside the map (its arena). The
 * index holds entry positions + 1 (0 = empty slot) and is kept at most half full, so probes stay
 * short. A removed entry becomes a tombstone (name == NULL): its index slot keeps pointing at it,
 * which is exactly what linear probing needs to keep later chains reachable. Tombstones are
 * squeezed out (and the index rebuilt) when a new name is appended and they make up more than half
 * of the array; doing it there and not in remove keeps positions stable, so removing the entry just
 * returned by the iterator is safe. Every operation is O(1) amortised, iteration O(n).
 */
#include "azc_headers.h"

#include <stdlib.h>
#include <string.h>

/* Most maps hold a handful of headers (a request's user agent and request id): their entries
 * and, up to ARENA bytes, their names and values live inside the map, so a small map is one
 * allocation. A request's map is freed by the collector along with many others at once, so
 * fewer small blocks there also spare the allocator's bins. Arena space is not reused when an
 * entry is replaced or removed (maps are short-lived); past it, each entry has its own block. */
enum { INLINE = 4, ARENA = 256 };

typedef struct azc_hentry {
  char *name; /* NUL-terminated, case of the last set; NULL marks a tombstone. Owns the block */
  size_t name_len;
  char *value; /* NUL-terminated, inside the name's block */
  size_t value_len;
  uint32_t hash; /* hash of the lowercased name */
} azc_hentry;

struct azc_headers {
  size_t refs;
  azc_hentry *entries;
  size_t used; /* entries in use, tombstones included */
  size_t cap;  /* allocated entries */
  size_t live; /* entries that are not tombstones */
  size_t *index;
  size_t index_cap;                  /* power of two, >= 2 * cap (0 while nothing is allocated) */
  azc_hentry inline_entries[INLINE]; /* `entries` until the map outgrows them */
  size_t arena_used;
  char arena[ARENA]; /* "name\0value\0" blocks of the first entries */
};

static int in_arena(const azc_headers *h, const char *p) {
  return (uintptr_t)p >= (uintptr_t)h->arena && (uintptr_t)p < (uintptr_t)(h->arena + ARENA);
}

/* Free an entry's block unless it is in the arena. */
static void release(const azc_headers *h, char *block) {
  if (block && !in_arena(h, block))
    free(block);
}

static uint32_t name_hash(const char *s, size_t len) {
  /* Eight bytes at a time, each ORed with 0x20: ASCII letters fold to lower case, so names that
   * are equal ignoring case hash alike ("Accept", "ACCEPT"). Other bytes may fold together too;
   * that is only a collision, which the equality test settles. A byte loop with a branch per
   * letter cost ~8 instructions a byte, and every request hashes a dozen names. */
  const uint64_t fold = 0x2020202020202020u, k = 0xff51afd7ed558ccdu;
  uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)len, w;
  while (len >= 8) {
    memcpy(&w, s, 8);
    h = (h ^ (w | fold)) * k;
    s += 8;
    len -= 8;
  }
  if (len) {
    w = 0;
    memcpy(&w, s, len);
    h = (h ^ (w | fold)) * k;
  }
  h ^= h >> 32;
  h *= k;
  return (uint32_t)(h ^ (h >> 29));
}

static int has_bad_byte(const char *s, size_t len) {
  /* three vectorised scans instead of a byte loop with three compares: a user agent is ~100
   * bytes and every request sets one */
  return len && (memchr(s, '\r', len) || memchr(s, '\n', len) || memchr(s, '\0', len));
}

/* Index slot of the live entry named @p name, or the empty slot where a probe ended. */
static size_t probe(const azc_headers *h, const char *name, size_t len, uint32_t hash,
                    int *out_found) {
  size_t mask = h->index_cap - 1, i = hash & mask;
  *out_found = 0;
  while (h->index[i]) {
    const azc_hentry *e = &h->entries[h->index[i] - 1];
    if (e->name && e->hash == hash && azc__ieq(e->name, e->name_len, name, len)) {
      *out_found = 1;
      return i;
    }
    i = (i + 1) & mask;
  }
  return i;
}

enum { SMALL = 16 }; /* maps up to this many entries are searched linearly */

/* The entry named @p name (whose name_hash is @p hash), or NULL. */
static azc_hentry *find_hashed(const azc_headers *h, const char *name, size_t len, uint32_t hash) {
  int found;
  size_t slot, i;
  if (!h || !h->used || (!name && len))
    return NULL;
  if (!h->index_cap) {
    for (i = 0; i < h->used; i++) {
      azc_hentry *e = &h->entries[i];
      if (e->name && e->hash == hash && azc__ieq(e->name, e->name_len, name, len))
        return e;
    }
    return NULL;
  }
  slot = probe(h, name, len, hash, &found);
  return found ? &h->entries[h->index[slot] - 1] : NULL;
}

static azc_hentry *find(const azc_headers *h, const char *name, size_t len) {
  if (!h || !h->used || (!name && len))
    return NULL;
  return find_hashed(h, name, len, name_hash(name, len));
}

/* One block holding "name\0value\0": in the map's arena while it has room. */
static char *entry_block(azc_headers *h, const char *name, size_t name_len, const char *value,
                         size_t value_len) {
  char *b;
  size_t need;
  if (value_len > SIZE_MAX - name_len - 2)
    return NULL;
  need = name_len + value_len + 2;
  if (need <= ARENA - h->arena_used) {
    b = h->arena + h->arena_used;
    h->arena_used += need;
  } else if (!(b = malloc(need))) {
    return NULL;
  }
  memcpy(b, name, name_len);
  b[name_len] = '\0';
  if (value_len)
    memcpy(b + name_len + 1, value, value_len);
  b[name_len + 1 + value_len] = '\0';
  return b;
}

/* Rebuild the index (size @p index_cap) from the live entries; tombstone entries get no slot. */
static void reindex(azc_headers *h) {
  size_t i, mask = h->index_cap - 1;
  if (!h->index_cap)
    return;
  memset(h->index, 0, h->index_cap * sizeof *h->index);
  for (i = 0; i < h->used; i++) {
    size_t s;
    if (!h->entries[i].name)
      continue;
    s = h->entries[i].hash & mask;
    while (h->index[s])
      s = (s + 1) & mask;
    h->index[s] = i + 1;
  }
}

/* Drop tombstones from the entry array, keeping order. The caller rebuilds the index. */
static void compact(azc_headers *h) {
  size_t i, j = 0;
  for (i = 0; i < h->used; i++)
    if (h->entries[i].name)
      h->entries[j++] = h->entries[i];
  h->used = j;
}

/* Make room to append one entry. */
static azc_code reserve_one(azc_headers *h) {
  size_t ncap, nicap;
  azc_hentry *ne;
  size_t *ni;
  if (h->used - h->live > h->used / 2) {
    compact(h);
    reindex(h);
  }
  if (h->used < h->cap)
    return AZC_OK;
  ncap = h->cap * 2;
  if (ncap > SIZE_MAX / 2 / sizeof *ni || ncap > SIZE_MAX / sizeof *ne)
    return AZC_ERR_NOMEM;
  nicap = ncap > SMALL ? ncap * 2 : 0; /* small maps need no index */
  ni = nicap ? malloc(nicap * sizeof *ni) : NULL;
  if (nicap && !ni)
    return AZC_ERR_NOMEM;
  ne = azc__grow_inline(h->entries, h->inline_entries, h->used * sizeof *ne, ncap * sizeof *ne);
  if (!ne) {
    free(ni);
    return AZC_ERR_NOMEM;
  }
  free(h->index);
  h->entries = ne;
  h->cap = ncap;
  h->index = ni;
  h->index_cap = nicap;
  reindex(h);
  return AZC_OK;
}

azc_headers *azc_headers_new(void) {
  /* the arena is written before it is read: only the members before it are zeroed */
  azc_headers *h = malloc(sizeof *h);
  if (h) {
    memset(h, 0, offsetof(azc_headers, arena));
    h->refs = 1;
    h->entries = h->inline_entries;
    h->cap = INLINE;
  }
  return h;
}

azc_headers *azc_headers_ref(azc_headers *h) {
  if (h)
    h->refs++;
  return h;
}

static void free_entries(azc_headers *h) {
  size_t i;
  for (i = 0; i < h->used; i++)
    release(h, h->entries[i].name); /* the value lives in the same block */
}

void azc_headers_unref(azc_headers *h) {
  if (!h || --h->refs > 0)
    return;
  free_entries(h);
  if (h->entries != h->inline_entries)
    free(h->entries);
  free(h->index);
  free(h);
}

azc_headers *azc_headers_copy(const azc_headers *h) {
  azc_headers *c;
  size_t i;
  if (!h || !(c = azc_headers_new()))
    return NULL;
  for (i = 0; i < h->used; i++) {
    const azc_hentry *e = &h->entries[i];
    if (e->name && azc_headers_set(c, e->name, e->name_len, e->value, e->value_len) != AZC_OK) {
      azc_headers_unref(c);
      return NULL;
    }
  }
  return c;
}

static azc_code check_parts(const azc_headers *h, const char *name, size_t name_len,
                            const char *value, size_t value_len) {
  if (!h || (!value && value_len))
    return AZC_ERR_ARG;
  if (!name || name_len == 0 || has_bad_byte(name, name_len) || has_bad_byte(value, value_len))
    return AZC_ERR_VALUE;
  return AZC_OK;
}

/* Append a new entry (the name is known to be absent). Takes nothing on failure. */
static azc_code append(azc_headers *h, const char *name, size_t name_len, uint32_t hash,
                       const char *value, size_t value_len) {
  azc_hentry *e;
  char *n;
  int found;
  size_t slot = 0;
  if (reserve_one(h) != AZC_OK)
    return AZC_ERR_NOMEM;
  n = entry_block(h, name, name_len, value ? value : "", value_len);
  if (!n)
    return AZC_ERR_NOMEM;
  if (h->index_cap)
    slot = probe(h, name, name_len, hash, &found);
  e = &h->entries[h->used];
  e->name = n;
  e->name_len = name_len;
  e->value = n + name_len + 1;
  e->value_len = value_len;
  e->hash = hash;
  ++h->used;
  if (h->index_cap)
    h->index[slot] = h->used;
  h->live++;
  return AZC_OK;
}

azc_code azc_headers_set(azc_headers *h, const char *name, size_t name_len, const char *value,
                         size_t value_len) {
  azc_code rc = check_parts(h, name, name_len, value, value_len);
  azc_hentry *e;
  uint32_t hash;
  char *n;
  if (rc != AZC_OK)
    return rc;
  hash = name_hash(name, name_len); /* once, for the lookup and the append */
  e = find_hashed(h, name, name_len, hash);
  if (!e)
    return append(h, name, name_len, hash, value, value_len);
  /* A new block with the written case (same length: the names compared equal ignoring case);
   * built before the old one is freed, so a failure changes nothing and @p value may point
   * into the old value. */
  n = entry_block(h, name, name_len, value ? value : "", value_len);
  if (!n)
    return AZC_ERR_NOMEM;
  release(h, e->name);
  e->name = n;
  e->value = n + name_len + 1;
  e->value_len = value_len;
  return AZC_OK;
}

azc_code azc_headers_add(azc_headers *h, const char *name, size_t name_len, const char *value,
                         size_t value_len) {
  azc_code rc = check_parts(h, name, name_len, value, value_len);
  azc_hentry *e;
  uint32_t hash;
  char *v;
  size_t offset;
  int alias;
  if (rc != AZC_OK)
    return rc;
  hash = name_hash(name, name_len); /* once, for the lookup and the append */
  e = find_hashed(h, name, name_len, hash);
  if (!e)
    return append(h, name, name_len, hash, value, value_len);
  if (value_len > SIZE_MAX - 4 - e->value_len - e->name_len)
    return AZC_ERR_NOMEM;
  /* @p value may point into the old block (folding a header into itself): realloc may move it. */
  alias = value && (uintptr_t)value >= (uintptr_t)e->name &&
          (uintptr_t)value <= (uintptr_t)(e->value + e->value_len);
  offset = alias ? (size_t)(value - e->name) : 0;
  if (in_arena(h, e->name)) { /* moves out of the arena to grow */
    v = malloc(e->name_len + 1 + e->value_len + 2 + value_len + 1);
    if (v)
      memcpy(v, e->name, e->name_len + 1 + e->value_len + 1);
  } else {
    v = realloc(e->name, e->name_len + 1 + e->value_len + 2 + value_len + 1);
  }
  if (!v)
    return AZC_ERR_NOMEM;
  if (alias)
    value = v + offset;
  e->name = v;
  e->value = v + e->name_len + 1;
  memcpy(e->value + e->value_len, ", ", 2);
  if (value_len)
    memmove(e->value + e->value_len + 2, value, value_len);
  e->value_len += 2 + value_len;
  e->value[e->value_len] = '\0';
  return AZC_OK;
}

const char *azc_headers_get(const azc_headers *h, const char *name, size_t name_len,
                            size_t *out_len) {
  const azc_hentry *e = find(h, name, name_len);
  if (!e)
    return NULL;
  if (out_len)
    *out_len = e->value_len;
  return e->value;
}

int azc_headers_remove(azc_headers *h, const char *name, size_t name_len) {
  azc_hentry *e = find(h, name, name_len);
  if (!e)
    return 0;
  /* Tombstone: the index slot stays, pointing at an entry that no longer matches anything. */
  release(h, e->name);
  e->name = e->value = NULL;
  e->name_len = e->value_len = 0;
  h->live--;
  return 1;
}

size_t azc_headers_count(const azc_headers *h) { return h ? h->live : 0; }

size_t azc_headers_footprint(const azc_headers *h) {
  size_t i, n;
  if (!h)
    return 0;
  n = sizeof *h + h->index_cap * sizeof *h->index;
  if (h->entries != h->inline_entries)
    n += h->cap * sizeof *h->entries;
  for (i = 0; i < h->used; i++)
    if (h->entries[i].name && !in_arena(h, h->entries[i].name))
      n += h->entries[i].name_len + h->entries[i].value_len + 2;
  return n;
}

void azc_headers_clear(azc_headers *h) {
  if (!h)
    return;
  free_entries(h);
  h->used = h->live = 0;
  h->arena_used = 0;
  if (h->index)
    memset(h->index, 0, h->index_cap * sizeof *h->index);
}

int azc_headers_next(const azc_headers *h, size_t *ref_iter, const char **out_name,
                     size_t *out_name_len, const char **out_value, size_t *out_value_len) {
  size_t i;
  if (!h || !ref_iter)
    return 0;
  for (i = *ref_iter; i < h->used; i++) {
    const azc_hentry *e = &h->entries[i];
    if (!e->name)
      continue;
    *ref_iter = i + 1;
    if (out_name)
      *out_name = e->name;
    if (out_name_len)
      *out_name_len = e->name_len;
    if (out_value)
      *out_value = e->value;
    if (out_value_len)
      *out_value_len = e->value_len;
    return 1;
  }
  *ref_iter = h->used;
  return 0;
}

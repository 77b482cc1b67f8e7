/*
 * azc_run.c - the Run: the pipeline's state machine (DESIGN.md §2.1).
 *
 * A run walks DOWN the slots calling on_request, hands SEND to its driver at the bottom, then
 * walks UP calling on_response (or on_exception while it carries an error). A native policy
 * answering RESEND sends the walk DOWN again from the slot after it, after an optional SLEEP
 * step. A host SEND policy stops the walk with POLICY_SEND: its `next` is a sub-run over the
 * slots below it, and the host resumes this run with what that policy's send returned.
 *
 * Sub-runs share their root's options and context (history, flags), as one azure-core context
 * flows through every `next.send` of a call. Each run has its own per-slot policy state, because
 * each `next.send` in azure-core enters the inner policies afresh.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "azc_pipeline.h"

azc_host_hook_fn azc__pipeline_host_hook(const azc_pipeline *p);
azc__block_cache *azc__pipeline_run_cache(azc_pipeline *p);

typedef struct run_ctx {
  int refs;
  azc_history_entry *hist;
  size_t nhist, cap;
  int flags;
} run_ctx;

typedef enum phase {
  PH_START = 0,
  PH_DOWN,
  PH_UP,
  PH_WAIT_SEND,
  PH_WAIT_POLICY,
  PH_WAIT_SLEEP,
  PH_WAIT_TOKEN,
  PH_DONE
} phase;

/* A token asked for by a policy hook, and what the driver delivered. */
typedef struct token_slot {
  int wanted;
  char **scopes;
  size_t n_scopes;
  char *claims, *tenant_id;
  int enable_cae;
  azc_token_request req; /* views of the copies above, for the driver */
  int delivered;         /* a token or an error came back and was not read yet */
  char *token, *token_type;
  azc_token tok;
  int has_err; /* the error is the run's tk_err */
} token_slot;

struct azc_run {
  azc_pipeline *pl;
  size_t base, n;
  azc_options *optp;
  run_ctx *ctx;
  azc_request *req;
  azc_response *resp;
  int has_err;
  phase ph;
  long pos;           /* slot being walked; UP walks towards base */
  size_t wait_slot;   /* POLICY_SEND slot */
  double sleep_s;
  phase token_resume; /* the phase whose hook asked for the token (DOWN or UP) */
  token_slot tk;
  size_t walk_end;      /* slots [base, walk_end) are walked by this run (a host SEND stops it) */
  double transport_connect_s; /* the transport's connection timeout, for RetryPolicy */
  unsigned char *state; /* per-slot states, packed */
  size_t *state_off;    /* offset of slot (base + i) in state */
  int ended;
  void *host; /* the host of the azc_run_step call in progress, NULL between steps */
  size_t block_size; /* the run, its state offsets and its states are one block */
  /* Not zeroed when the block is taken (run_alloc): each is set before it is read. Keep these
   * last: they are two thirds of the struct. */
  azc_options opts; /* the root's options (sub-runs point at their root's) */
  azc_error err;    /* when has_err */
  azc_error tk_err; /* when tk.has_err */
};

static void ctx_unref(run_ctx *c) {
  size_t i;
  if (!c || --c->refs > 0)
    return;
  for (i = 0; i < c->nhist; i++) {
    azc_request_unref(c->hist[i].request);
    azc_response_unref(c->hist[i].response);
  }
  free(c->hist);
  free(c);
}

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* One block per run: the run, then its state offsets, then the packed per-slot states (every
 * state 16-byte aligned). Blocks come from and go back to the pipeline's one-block cache. */
static azc_run *run_alloc(azc_pipeline *pl, size_t base, azc_request *req) {
  size_t i, total = 0, count, n = azc_pipeline_count(pl), head, offs, got;
  azc_run *r;
  count = n > base ? n - base : 0;
  for (i = base; i < n; i++) {
    azc_policy *p = azc_pipeline_policy(pl, i);
    total += ALIGN16(p->vt ? p->vt->state_size : 0);
  }
  head = ALIGN16(sizeof *r);
  offs = ALIGN16(count * sizeof(size_t));
  r = azc__cache_take(azc__pipeline_run_cache(pl), head + offs + total, offsetof(azc_run, opts),
                      &got);
  if (!r)
    return NULL;
  azc_error_clear(&r->err);
  azc_error_clear(&r->tk_err);
  r->block_size = got;
  r->state_off = (size_t *)(void *)((unsigned char *)r + head);
  r->state = (unsigned char *)r + head + offs;
  memset(r->state, 0, total); /* policies find their per-run state zeroed */
  r->pl = azc_pipeline_ref(pl);
  r->base = base;
  r->n = n;
  r->req = azc_request_ref(req);
  r->ph = PH_START;
  r->transport_connect_s = 300;
  r->walk_end = n;
  total = 0;
  for (i = base; i < n; i++) {
    azc_policy *p = azc_pipeline_policy(pl, i);
    if (!p->vt && p->host_kind == AZC_HOST_SEND && r->walk_end == n)
      r->walk_end = i + 1; /* the slots below belong to that policy's sub-runs */
    r->state_off[i - base] = total;
    total += ALIGN16(p->vt ? p->vt->state_size : 0);
  }
  return r;
}

azc_run *azc_run_new(azc_pipeline *pl, azc_request *req, azc_options *opts) {
  azc_run *r = run_alloc(pl, 0, req);
  if (!r)
    return NULL;
  r->ctx = azc__zalloc(sizeof *r->ctx);
  if (!r->ctx) {
    azc_run_free(r);
    return NULL;
  }
  r->ctx->refs = 1;
  if (opts) {
    azc_options_init(&r->opts);
    azc_options_move(&r->opts, opts); /* the caller's struct no longer owns the values */
  } else {
    azc_options_init(&r->opts);
  }
  r->optp = &r->opts;
  return r;
}

azc_run *azc_run_new_sub(azc_run *parent, size_t slot, azc_request *req) {
  azc_run *r = run_alloc(parent->pl, slot + 1, req);
  if (!r)
    return NULL;
  azc_options_init(&r->opts);
  r->optp = parent->optp;
  r->ctx = parent->ctx;
  r->ctx->refs++;
  r->transport_connect_s = parent->transport_connect_s;
  return r;
}

static void *slot_state(azc_run *r, size_t slot) { return r->state + r->state_off[slot - r->base]; }

static void end_policies(azc_run *r) {
  size_t i;
  if (r->ended || r->ph == PH_START)
    return;
  r->ended = 1;
  for (i = r->base; i < r->walk_end; i++) {
    azc_policy *p = azc_pipeline_policy(r->pl, i);
    if (p->vt && p->vt->run_end)
      p->vt->run_end(p, r, slot_state(r, i));
  }
}

static void token_clear_request(token_slot *t) {
  size_t i;
  for (i = 0; i < t->n_scopes; i++)
    free(t->scopes[i]);
  free(t->scopes);
  free(t->claims);
  free(t->tenant_id);
  t->scopes = NULL;
  t->n_scopes = 0;
  t->claims = t->tenant_id = NULL;
  t->wanted = 0;
}

static void token_clear_delivery(token_slot *t) {
  free(t->token);
  free(t->token_type);
  t->token = t->token_type = NULL;
  t->delivered = 0;
  t->has_err = 0;
}

void azc_run_free(azc_run *r) {
  azc_pipeline *pl;
  if (!r)
    return;
  token_clear_request(&r->tk);
  token_clear_delivery(&r->tk);
  end_policies(r);
  if (r->optp == &r->opts)
    azc_options_clear(&r->opts);
  ctx_unref(r->ctx);
  azc_request_unref(r->req);
  azc_response_unref(r->resp);
  pl = r->pl;
  azc__cache_give(azc__pipeline_run_cache(pl), r, r->block_size);
  azc_pipeline_unref(pl); /* after: the pipeline frees its cache when it goes */
}

static void go_up_error(azc_run *r, long from, const azc_error *err) {
  azc_response_unref(r->resp);
  r->resp = NULL;
  if (err != &r->err)
    r->err = *err;
  r->has_err = 1;
  r->ph = PH_UP;
  r->pos = from;
}

static void fail_now(azc_run *r, azc_code code, const char *msg) {
  azc_error e;
  azc_error_set(&e, code, "%s", msg);
  go_up_error(r, (long)r->base - 1, &e);
}

static azc_step run_step(azc_run *r, void *host) {
  azc_step st;
  azc_host_hook_fn hook = azc__pipeline_host_hook(r->pl);
  memset(&st, 0, sizeof st);
  for (;;) {
    switch (r->ph) {
    case PH_START: {
      size_t i;
      r->ph = PH_DOWN;
      r->pos = (long)r->base;
      for (i = r->base; i < r->walk_end; i++) {
        azc_policy *p = azc_pipeline_policy(r->pl, i);
        azc_error e;
        if (p->vt && p->vt->run_start && p->vt->run_start(p, r, slot_state(r, i), &e) != AZC_OK) {
          go_up_error(r, (long)r->base - 1, &e);
          break;
        }
      }
      continue;
    }
    case PH_DOWN: {
      azc_policy *p;
      azc_error e;
      if ((size_t)r->pos >= r->n) {
        r->ph = PH_WAIT_SEND; /* hand SEND to the driver */
        st.kind = AZC_STEP_SEND;
        return st;
      }
      p = azc_pipeline_policy(r->pl, (size_t)r->pos);
      if (!p->vt && p->host_kind == AZC_HOST_SEND) {
        r->ph = PH_WAIT_POLICY; /* hand POLICY_SEND to the driver */
        r->wait_slot = (size_t)r->pos;
        st.kind = AZC_STEP_POLICY_SEND;
        st.slot = r->wait_slot;
        return st;
      }
      if (!p->vt) {
        if ((p->host_hooks & AZC_HOOK_ON_REQUEST) && hook) {
          azc_error_clear(&e);
          if (hook(host, r, p, AZC_HOOK_ON_REQUEST, &e) != AZC_OK) {
            /* a failing on_request propagates to the policies above, as the runner's
             * exception would */
            go_up_error(r, r->pos - 1, &e);
            continue;
          }
        }
      } else if (p->vt->on_request) {
        azc_code rc;
        azc_error_clear(&e);
        rc = p->vt->on_request(p, r, slot_state(r, (size_t)r->pos), &e);
        if (rc == AZC_PENDING_TOKEN && r->tk.wanted) {
          r->ph = PH_WAIT_TOKEN; /* hand TOKEN to the driver; on_request runs again after */
          r->token_resume = PH_DOWN;
          st.kind = AZC_STEP_TOKEN;
          st.slot = (size_t)r->pos;
          return st;
        }
        if (rc != AZC_OK) {
          if (rc == AZC_PENDING_TOKEN)
            azc_error_set(&e, AZC_ERR_ARG, "%s asked for a token without a request",
                          azc_policy_name(p));
          go_up_error(r, r->pos - 1, &e);
          continue;
        }
      }
      r->pos++;
      continue;
    }
    case PH_UP: {
      azc_policy *p;
      azc_error e;
      if (r->pos < (long)r->base) {
        r->ph = PH_DONE;
        end_policies(r);
        continue;
      }
      p = azc_pipeline_policy(r->pl, (size_t)r->pos);
      if (!p->vt) {
        int which = r->has_err ? AZC_HOOK_ON_EXCEPTION : AZC_HOOK_ON_RESPONSE;
        if ((p->host_hooks & which) && hook) {
          azc_error_clear(&e);
          if (hook(host, r, p, which, &e) != AZC_OK) {
            /* on_response raising turns the walk into an error walk; on_exception raising
             * replaces the error being propagated */
            go_up_error(r, r->pos - 1, &e);
            continue;
          }
        }
        r->pos--;
        continue;
      }
      {
        azc_action a = {AZC_ACTION_CONTINUE, 0};
        void *s = slot_state(r, (size_t)r->pos);
        azc_error_clear(&e);
        if (r->has_err) {
          if (p->vt->on_exception)
            a = p->vt->on_exception(p, r, s, &e);
        } else if (p->vt->on_response) {
          a = p->vt->on_response(p, r, s, &e);
        }
        if (a.kind == AZC_ACTION_TOKEN && r->tk.wanted) {
          r->ph = PH_WAIT_TOKEN; /* hand TOKEN to the driver; the same hook runs again after */
          r->token_resume = PH_UP;
          st.kind = AZC_STEP_TOKEN;
          st.slot = (size_t)r->pos;
          return st;
        } else if (a.kind == AZC_ACTION_FAIL || a.kind == AZC_ACTION_TOKEN) {
          if (a.kind == AZC_ACTION_TOKEN)
            azc_error_set(&e, AZC_ERR_ARG, "%s asked for a token without a request",
                          azc_policy_name(p));
          go_up_error(r, r->pos - 1, &e);
        } else if (a.kind == AZC_ACTION_RESEND) {
          /* the policy recorded what it needed (history); the walk restarts below it */
          azc_response_unref(r->resp);
          r->resp = NULL;
          r->has_err = 0;
          r->pos = r->pos + 1;
          if (a.delay > 0) {
            r->ph = PH_WAIT_SLEEP; /* hand SLEEP to the driver */
            st.kind = AZC_STEP_SLEEP;
            st.seconds = a.delay;
            return st;
          }
          r->ph = PH_DOWN;
        } else {
          r->pos--;
        }
      }
      continue;
    }
    case PH_WAIT_SEND:
    case PH_WAIT_POLICY:
    case PH_WAIT_SLEEP:
    case PH_WAIT_TOKEN:
      /* stepped again without a resume: a driver bug; end the run with a clear error */
      fail_now(r, AZC_ERR_ARG, "pipeline run stepped without resuming the previous step");
      continue;
    case PH_DONE:
      st.kind = AZC_STEP_DONE;
      return st;
    }
  }
}

azc_step azc_run_step(azc_run *r, void *host) {
  azc_step st;
  /* policies may call their host during this step (azc_run_host); never after it returns */
  r->host = host;
  st = run_step(r, host);
  r->host = NULL;
  return st;
}

void *azc_run_host(const azc_run *r) { return r->host; }

void azc_run_resume_response(azc_run *r, azc_response *resp) {
  long from;
  if (r->ph == PH_WAIT_SEND)
    from = (long)r->n - 1;
  else if (r->ph == PH_WAIT_POLICY)
    from = (long)r->wait_slot - 1;
  else {
    azc_response_unref(resp);
    return;
  }
  azc_response_unref(r->resp);
  r->resp = resp;
  r->has_err = 0;
  r->ph = PH_UP;
  r->pos = from;
}

void azc_run_resume_error(azc_run *r, const azc_error *err) {
  long from;
  if (r->ph == PH_WAIT_TOKEN) {
    /* the credential failed: the hook that asked decides what that means */
    token_clear_request(&r->tk);
    token_clear_delivery(&r->tk);
    r->tk.delivered = 1;
    r->tk.has_err = 1;
    r->tk_err = *err;
    r->ph = r->token_resume;
    return;
  }
  if (r->ph == PH_WAIT_SEND)
    from = (long)r->n - 1;
  else if (r->ph == PH_WAIT_POLICY)
    from = (long)r->wait_slot - 1;
  else
    return;
  go_up_error(r, from, err);
}

void azc_run_resume(azc_run *r) {
  if (r->ph == PH_WAIT_SLEEP)
    r->ph = PH_DOWN;
}

azc_request *azc_run_request(azc_run *r) { return r->req; }

void azc_run_set_request(azc_run *r, azc_request *req) {
  azc_request_ref(req);
  azc_request_unref(r->req);
  r->req = req;
}

azc_response *azc_run_response(azc_run *r) { return r->has_err ? NULL : r->resp; }

void azc_run_set_response(azc_run *r, azc_response *resp) {
  azc_response_ref(resp);
  azc_response_unref(r->resp);
  r->resp = resp;
  if (resp)
    r->has_err = 0;
}

azc_response *azc_run_take_response(azc_run *r) {
  azc_response *resp;
  if (r->ph != PH_DONE || r->has_err)
    return NULL;
  resp = r->resp;
  r->resp = NULL;
  return resp;
}

const azc_error *azc_run_error(const azc_run *r) { return r->has_err ? &r->err : NULL; }

void azc_run_set_error(azc_run *r, const azc_error *err) {
  if (err != &r->err)
    r->err = *err;
  r->has_err = 1;
  azc_response_unref(r->resp);
  r->resp = NULL;
}

azc_options *azc_run_options(azc_run *r) { return r->optp; }
azc_pipeline *azc_run_pipeline(azc_run *r) { return r->pl; }
size_t azc_run_slot(const azc_run *r) { return r->pos < 0 ? 0 : (size_t)r->pos; }

azc_code azc_run_history_add(azc_run *r, azc_request *req, azc_response *resp,
                             const azc_error *err) {
  run_ctx *c = r->ctx;
  azc_history_entry *e;
  if (c->nhist == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 4;
    azc_history_entry *h = realloc(c->hist, cap * sizeof *h);
    if (!h)
      return AZC_ERR_NOMEM;
    c->hist = h;
    c->cap = cap;
  }
  e = &c->hist[c->nhist++];
  e->request = azc_request_ref(req);
  e->response = azc_response_ref(resp);
  if (err)
    e->error = *err;
  else
    azc_error_clear(&e->error);
  return AZC_OK;
}

size_t azc_run_history_count(const azc_run *r) { return r->ctx->nhist; }

const azc_history_entry *azc_run_history(const azc_run *r, size_t i) {
  return i < r->ctx->nhist ? &r->ctx->hist[i] : NULL;
}

void azc_run_set_flag(azc_run *r, azc_ctx_flag flag, int on) {
  if (on)
    r->ctx->flags |= (int)flag;
  else
    r->ctx->flags &= ~(int)flag;
}

int azc_run_flag(const azc_run *r, azc_ctx_flag flag) { return (r->ctx->flags & (int)flag) != 0; }

void azc_run_set_transport_connection_timeout(azc_run *r, double seconds) {
  r->transport_connect_s = seconds;
}

double azc_run_transport_connection_timeout(const azc_run *r) { return r->transport_connect_s; }

void azc_run_resume_token(azc_run *r, const char *token, size_t token_len, double expires_on,
                          double refresh_on, const char *token_type) {
  token_slot *t = &r->tk;
  if (r->ph != PH_WAIT_TOKEN)
    return;
  token_clear_request(t);
  token_clear_delivery(t);
  t->token = azc__strndup(token ? token : "", token ? token_len : 0);
  t->token_type = azc__strndup(token_type ? token_type : "Bearer",
                               strlen(token_type ? token_type : "Bearer"));
  t->delivered = 1;
  if (!t->token || !t->token_type) {
    t->has_err = 1;
    azc_error_set(&r->tk_err, AZC_ERR_NOMEM, "out of memory");
  } else {
    t->tok.token = t->token;
    t->tok.expires_on = expires_on;
    t->tok.refresh_on = refresh_on;
    t->tok.token_type = t->token_type;
  }
  r->ph = r->token_resume;
}

azc_code azc_run_request_token(azc_run *r, const azc_token_request *tr) {
  token_slot *t = &r->tk;
  size_t i;
  token_clear_request(t);
  token_clear_delivery(t);
  t->scopes = calloc(tr->n_scopes ? tr->n_scopes : 1, sizeof *t->scopes);
  if (!t->scopes)
    return AZC_ERR_NOMEM;
  for (i = 0; i < tr->n_scopes; i++) {
    t->scopes[i] = azc__strndup(tr->scopes[i], strlen(tr->scopes[i]));
    if (!t->scopes[i]) {
      t->n_scopes = i;
      token_clear_request(t);
      return AZC_ERR_NOMEM;
    }
  }
  t->n_scopes = tr->n_scopes;
  if ((tr->claims && !(t->claims = azc__strndup(tr->claims, strlen(tr->claims)))) ||
      (tr->tenant_id && !(t->tenant_id = azc__strndup(tr->tenant_id, strlen(tr->tenant_id))))) {
    token_clear_request(t);
    return AZC_ERR_NOMEM;
  }
  t->enable_cae = tr->enable_cae;
  t->req.scopes = (const char *const *)t->scopes;
  t->req.n_scopes = t->n_scopes;
  t->req.claims = t->claims;
  t->req.tenant_id = t->tenant_id;
  t->req.enable_cae = t->enable_cae;
  t->wanted = 1;
  return AZC_OK;
}

const azc_token_request *azc_run_token_request(const azc_run *r) {
  return r->tk.wanted ? &r->tk.req : NULL;
}

const azc_token *azc_run_token(azc_run *r) {
  if (!r->tk.delivered || r->tk.has_err)
    return NULL;
  r->tk.delivered = 0;
  return &r->tk.tok;
}

const azc_error *azc_run_token_error(const azc_run *r) {
  return r->tk.delivered && r->tk.has_err ? &r->tk_err : NULL;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-test-files.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <libsoup/soup.h>

#include "clap-media.h"
#include "clap-results-private.h"
#include "clap-session-private.h"
#include "clap-sim-server.h"
#include "clap-task-private.h"
#include "clap-util-private.h"

/* The life of a take, end to end, against the simulator: history, submit,
 * poll, download, resume after a restart, and the cases where money is at
 * stake. */

typedef struct {
  ClapSimServer *sim;
  ClapClient    *client;
  char          *dir;
  char          *db;
  char          *base;
  GPtrArray     *errors;
} Fixture;

static void
on_error (ClapSession *session,
          ClapTask    *task,
          GError      *error,
          Fixture     *fx)
{
  g_test_message ("session error: %s", error->message);
  g_ptr_array_add (fx->errors, g_error_copy (error));
}

static ClapSession *
new_session (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->db, &error);
  ClapSession *session;

  g_assert_no_error (error);
  session = clap_session_new (store, fx->client, NULL);
  clap_poller_set_interval (clap_session_get_poller (session), 30, 100);
  g_signal_connect (session, "error", G_CALLBACK (on_error), fx);
  return session;
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("clap-session-XXXXXX", NULL);
  fx->db = g_build_filename (fx->dir, "history.db", NULL);
  fx->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  fx->sim = clap_sim_server_new ();
  g_object_set (fx->sim, "pending-ms", 100, "processing-ms", 300, NULL);
  g_assert_true (clap_sim_server_listen (fx->sim, 0, &error));
  fx->base = clap_sim_server_dup_base_url (fx->sim);
  fx->client = clap_client_new (fx->base, "session-key", &error);
  clap_client_set_retry_policy (fx->client, 3, 20, 40);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  g_clear_object (&fx->client);
  g_clear_object (&fx->sim);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->db);
  g_free (fx->base);
  g_ptr_array_unref (fx->errors);
}

typedef gboolean (*Condition) (ClapTask *task);

static ClapTask *
get_task (ClapSession *session,
          guint        position)
{
  return g_list_model_get_item (G_LIST_MODEL (clap_session_get_store (session)), position);
}

/* Iterates until @cond holds for every take of the session. */
static void
wait_all (ClapSession *session,
          Condition    cond)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      GListModel *model = G_LIST_MODEL (clap_session_get_store (session));
      gboolean all = g_list_model_get_n_items (model) > 0;

      for (guint i = 0; all && i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(ClapTask) task = g_list_model_get_item (model, i);
          all = cond (task);
        }
      if (all)
        return;
      if (g_get_monotonic_time () > end)
        g_error ("condition never met");
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_downloaded (ClapTask *task)
{
  return clap_task_get_local_file (task) != NULL;
}

static gboolean
is_final (ClapTask *task)
{
  return clap_task_state_is_final (clap_task_get_state (task)) &&
         !(clap_task_get_state (task) == CLAP_TASK_STATE_COMPLETED && !is_downloaded (task) &&
           clap_task_get_error_message (task) == NULL);
}

static gboolean
is_active_or_final (ClapTask *task)
{
  return clap_task_get_state (task) != CLAP_TASK_STATE_SUBMITTING;
}

static ClapRequest *
request_new (const char *prompt)
{
  ClapRequest *request = clap_request_new ("kling-v3");

  clap_request_set_prompt (request, prompt);
  clap_request_set_duration (request, 3);
  return request;
}

static void
test_submit_to_file (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("Two takes of a sunrise");
  g_autoptr(ClapStore) reopened = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *model = G_LIST_MODEL (clap_session_get_store (session));

  clap_session_submit (session, request, 2);
  /* in the history at once, before anything was sent */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  {
    g_autoptr(ClapTask) first = get_task (session, 0);
    g_assert_cmpint (clap_task_get_state (first), ==, CLAP_TASK_STATE_SUBMITTING);
    g_assert_cmpint (clap_task_get_cost (first), ==, 3 * 633);
  }

  wait_all (session, is_downloaded);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(ClapTask) task = get_task (session, i);
      g_autoptr(GFile) file = g_file_new_for_path (clap_task_get_local_file (task));
      ClapMediaInfo info;

      g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
      g_assert_true (g_str_has_prefix (clap_task_get_local_file (task),
                                       clap_session_get_results_dir (session)));
      g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
      g_assert_cmpfloat_with_epsilon (info.duration, 3.0, 0.35);
      g_assert_cmpfloat (clap_task_get_progress (task), ==, 1.0);
    }

  g_assert_true (clap_store_flush (clap_session_get_store (session), &error));
  g_clear_object (&session);

  /* everything survived */
  reopened = clap_store_open (fx->db, &error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reopened)), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (reopened), i);
      g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
      g_assert_nonnull (clap_task_get_local_file (task));
      g_assert_nonnull (clap_task_get_task_id (task));
    }
  g_assert_cmpuint (fx->errors->len, ==, 0);
}

static void
test_uncertain_then_retry (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("was I charged?");
  g_autoptr(ClapTask) task = NULL;

  clap_sim_server_inject_fault (fx->sim, CLAP_SIM_ENDPOINT_CREATE,
                                CLAP_SIM_FAULT_CREATED_THEN_DROP, 1);
  clap_session_submit (session, request, 1);
  wait_all (session, is_active_or_final);

  task = get_task (session, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_INTERRUPTED);
  g_assert_nonnull (strstr (clap_task_get_fail_message (task), "may have been created and charged"));
  g_assert_cmpuint (fx->errors->len, ==, 1);
  /* What the person is told says the same, and never to just try again. */
  {
    const GError *told = g_ptr_array_index (fx->errors, 0);

    g_assert_nonnull (strstr (told->message, "may have been created and charged"));
    g_assert_null (strstr (told->message, "Check the network connection"));
    g_assert_null (strstr (clap_task_get_fail_message (task), "Check the network connection"));
    g_assert_nonnull (strstr (told->message, "Could not reach the service"));
  }

  /* nothing resends it by itself */
  clap_session_resume (session);
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);

  /* the person may */
  g_assert_true (clap_session_can_retry (session, task));
  clap_session_retry (session, task);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_SUBMITTING);
  wait_all (session, is_downloaded);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 2);
  g_assert_null (clap_task_get_fail_message (task));
}

static void
test_refused (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("no money");
  g_autoptr(ClapClient) poor = clap_client_new (fx->base, "sim-no-balance", NULL);
  g_autoptr(ClapTask) task = NULL;

  clap_session_set_client (session, poor);
  clap_session_submit (session, request, 1);
  wait_all (session, is_active_or_final);

  task = get_task (session, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_FAILED);
  g_assert_nonnull (strstr (clap_task_get_fail_message (task), "balance"));
  g_assert_cmpuint (fx->errors->len, ==, 1);
  g_assert_error ((GError *) g_ptr_array_index (fx->errors, 0), CLAP_CLIENT_ERROR,
                  CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE);
  /* surely not created: may be sent again */
  g_assert_true (clap_session_can_retry (session, task));
}

static void
test_bad_input_spends_nothing (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("from a file that is gone");
  g_autofree char *gone = g_build_filename (fx->dir, "deleted.png", NULL);
  g_autoptr(ClapTask) task = NULL;

  clap_request_set_image (request, gone);
  clap_session_submit (session, request, 1);
  wait_all (session, is_active_or_final);

  task = get_task (session, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_FAILED);
  g_assert_nonnull (strstr (clap_task_get_fail_message (task), "does not exist"));
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 0);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_FILES), ==, 0);
}

static void
test_resume (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(ClapSession) first = new_session (fx);
  g_autoptr(ClapSession) second = NULL;
  g_autoptr(ClapRequest) request = request_new ("interrupted by a restart");
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapTask) stuck = NULL;

  /* one take sent and pending, then the first run ends before it finishes */
  clap_session_submit (first, request, 1);
  wait_all (first, is_active_or_final);
  g_assert_true (clap_store_flush (clap_session_get_store (first), &error));

  /* a take the first run wrote as "submitting" but never sent */
  stuck = clap_task_new_for_request (request);
  clap_store_save_async (clap_session_get_store (first), stuck, NULL, NULL, NULL);
  g_assert_true (clap_store_flush (clap_session_get_store (first), &error));
  g_clear_object (&first);

  second = new_session (fx);
  clap_session_resume (second);
  wait_all (second, is_final);

  {
    g_autoptr(ClapTask) sent = get_task (second, 1);
    g_assert_cmpint (clap_task_get_state (sent), ==, CLAP_TASK_STATE_COMPLETED);
    g_assert_nonnull (clap_task_get_local_file (sent));
  }
  {
    g_autoptr(ClapTask) interrupted =
      clap_store_find_by_uid (clap_session_get_store (second), clap_task_get_uid (stuck))
      ? g_object_ref (clap_store_find_by_uid (clap_session_get_store (second),
                                              clap_task_get_uid (stuck)))
      : NULL;

    g_assert_nonnull (interrupted);
    g_assert_cmpint (clap_task_get_state (interrupted), ==, CLAP_TASK_STATE_INTERRUPTED);
    g_assert_nonnull (strstr (clap_task_get_fail_message (interrupted), "check your provider"));
  }
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 1);
}

static void
test_expired_result (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("gone too soon [sim:download=http-403]");
  g_autoptr(ClapTask) task = NULL;

  clap_session_submit (session, request, 1);
  wait_all (session, is_final);

  task = get_task (session, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_null (clap_task_get_local_file (task));
  g_assert_nonnull (strstr (clap_task_get_error_message (task), "expired"));
  g_assert_error ((GError *) g_ptr_array_index (fx->errors, 0), CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED);
}

static void
test_hint_and_remove (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("remove me");
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *file = NULL;

  g_assert_false (clap_session_hint (session, "cl-unknown"));
  clap_session_submit (session, request, 1);
  wait_all (session, is_downloaded);
  task = get_task (session, 0);
  g_assert_true (clap_session_hint (session, clap_task_get_task_id (task)));

  file = g_strdup (clap_task_get_local_file (task));
  g_assert_true (g_file_test (file, G_FILE_TEST_EXISTS));
  clap_session_remove (session, task);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (clap_session_get_store (session))), ==, 0);
}

/* The window and clapboard-cli share the history: a submission another
 * live process is making must not be taken for an interrupted one. */
static void
test_live_submission_left_alone (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("someone else is sending this");
  g_autoptr(GSubprocess) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autoptr(ClapTask) theirs = clap_task_new_for_request (request);
  g_autoptr(ClapTask) ours = clap_task_new_for_request (request);
  g_autoptr(ClapTask) orphan = clap_task_new_for_request (request);
  g_autoptr(ClapTask) removed = clap_task_new_for_request (request);
  ClapStore *store = clap_session_get_store (session);

  other = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep", "60", NULL);
  g_assert_no_error (error);
  token = _clap_process_token_for_pid (atoi (g_subprocess_get_identifier (other)));
  g_assert_nonnull (token);

  _clap_task_set_owner (theirs, token);
  _clap_task_set_owner (removed, token);
  _clap_task_set_owner (ours, _clap_process_token ());
  /* an owner that is a pid reused by another process is not the owner */
  {
    g_auto(GStrv) parts = g_strsplit (token, ":", 2);
    g_autofree char *reused = g_strdup_printf ("%s:%s:1", parts[0],
                                               g_subprocess_get_identifier (other));
    _clap_task_set_owner (orphan, reused);
  }
  clap_store_add_async (store, theirs, NULL, NULL, NULL);
  clap_store_add_async (store, ours, NULL, NULL, NULL);
  clap_store_add_async (store, orphan, NULL, NULL, NULL);
  clap_store_add_async (store, removed, NULL, NULL, NULL);

  clap_session_resume (session);
  g_assert_cmpuint (clap_session_get_n_elsewhere (session), ==, 2);
  /* a take removed from the history is nobody's to take over */
  clap_session_remove (session, removed);
  g_assert_cmpuint (clap_session_get_n_elsewhere (session), ==, 1);
  g_assert_cmpint (clap_task_get_state (theirs), ==, CLAP_TASK_STATE_SUBMITTING);
  g_assert_cmpint (clap_task_get_state (ours), ==, CLAP_TASK_STATE_SUBMITTING);
  g_assert_cmpint (clap_task_get_state (orphan), ==, CLAP_TASK_STATE_INTERRUPTED);

  /* once the other process is gone, its submission was interrupted */
  g_subprocess_force_exit (other);
  g_assert_true (g_subprocess_wait (other, NULL, NULL));
  clap_session_resume (session);
  g_assert_cmpint (clap_task_get_state (theirs), ==, CLAP_TASK_STATE_INTERRUPTED);
  g_assert_cmpuint (clap_session_get_n_elsewhere (session), ==, 0);
  g_assert_cmpint (clap_task_get_state (removed), ==, CLAP_TASK_STATE_SUBMITTING);
  g_assert_cmpint (clap_task_get_state (ours), ==, CLAP_TASK_STATE_SUBMITTING);
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_CREATE), ==, 0);

  /* the owner is kept in the history */
  g_assert_true (clap_store_flush (store, &error));
  {
    g_autoptr(ClapStore) again = clap_store_open (fx->db, &error);
    ClapTask *loaded = clap_store_find_by_uid (again, clap_task_get_uid (ours));

    g_assert_nonnull (loaded);
    g_assert_cmpstr (_clap_task_get_owner (loaded), ==, _clap_process_token ());
  }
}

static gboolean
is_evicted (ClapTask *task)
{
  return clap_task_get_saved_time (task) == 0 || clap_task_get_evicted_time (task) > 0;
}

static void
test_cache_never_drops_the_only_copy (Fixture       *fx,
                                      gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("cache me");
  g_autoptr(ClapTask) saved = NULL;
  g_autoptr(ClapTask) only = NULL;
  g_autofree char *saved_path = NULL;

  clap_session_submit (session, request, 2);
  wait_all (session, is_downloaded);
  saved = get_task (session, 0);
  only = get_task (session, 1);
  saved_path = g_strdup (clap_task_get_local_file (saved));

  /* The person saved one of them elsewhere. A cache of one byte must drop
   * that one, and keep the other: it is the only copy. */
  clap_task_set_saved_time (saved, g_get_real_time () / 1000);
  clap_session_set_cache_limits (session, 1, 30);
  wait_all (session, is_evicted);

  g_assert_null (clap_task_get_local_file (saved));
  g_assert_false (g_file_test (saved_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (clap_task_get_evicted_time (saved), >, 0);
  /* an evicted clip is not fetched again by itself */
  g_assert_false (clap_task_needs_download (saved));

  g_assert_nonnull (clap_task_get_local_file (only));
  g_assert_true (g_file_test (clap_task_get_local_file (only), G_FILE_TEST_EXISTS));
  g_assert_cmpint (clap_task_get_evicted_time (only), ==, 0);

  /* the result link lives 7 days from completion */
  g_assert_cmpint (clap_task_get_result_expiry (only), ==,
                   clap_task_get_complete_time (only) + CLAP_RESULT_LIFETIME_MS);
}


/* A scripted stand-in for the service, for the answers the simulator never
 * gives (a hostile or simply different server): the data of the next
 * create answers, the data each task id's query answers, and one clip for
 * any result URL. "BASE" in an answer becomes its address. */
typedef struct {
  SoupServer *server;
  char       *base;
  GQueue      creates;    /* char *: the data of the next create answers */
  GHashTable *answers;    /* task id → char *: the data a query answers */
  GHashTable *queries;    /* task id → number of queries */
  GBytes     *clip;
  GBytes     *picture;
  guint       n_creates;
  guint       n_results;
} Fake;

static void
fake_reply (SoupServerMessage *msg,
            guint              status,
            const char        *data,
            const char        *base)
{
  g_autofree char *body = NULL;

  if (data == NULL)
    body = g_strdup_printf ("{\"code\":%u,\"msg\":\"Task not found\",\"data\":null}", status);
  else
    {
      g_auto(GStrv) parts = g_strsplit (data, "BASE", -1);
      g_autofree char *filled = g_strjoinv (base, parts);

      body = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":%s}", filled);
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
fake_api (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Fake *fake = user_data;

  if (g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      g_autofree char *data = g_queue_pop_head (&fake->creates);

      fake->n_creates++;
      g_assert_nonnull (data);
      fake_reply (msg, 200, data, fake->base);
    }
  else
    {
      const char *id = query ? g_hash_table_lookup (query, "task_id") : NULL;
      const char *data = id ? g_hash_table_lookup (fake->answers, id) : NULL;

      if (id != NULL)
        {
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (fake->queries, id));

          g_hash_table_insert (fake->queries, g_strdup (id), GUINT_TO_POINTER (n + 1));
        }
      fake_reply (msg, data ? 200 : 404, data, fake->base);
    }
}

static void
fake_result (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  Fake *fake = user_data;
  gboolean picture = g_str_has_suffix (path, ".jpg");
  gsize size;
  gconstpointer bytes = g_bytes_get_data (picture ? fake->picture : fake->clip, &size);

  if (!picture)
    fake->n_results++;

  /* what a hostile or broken server may send instead of a clip */
  if (g_str_has_suffix (path, "/page.mp4"))
    {
      static const char page[] = "<html><body>Welcome!</body></html>";

      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        page, strlen (page));
      return;
    }
  if (g_str_has_suffix (path, "/endless.mp4"))
    {
      /* past the cap of a clip of 3 s, with a video's first bytes */
      gsize huge = CLAP_RESULT_BYTES_SLACK + 4 * CLAP_RESULT_BYTES_PER_SECOND;
      guint8 *body = g_malloc0 (huge);

      memcpy (body, bytes, size);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "video/mp4", SOUP_MEMORY_TAKE, (char *) body, huge);
      return;
    }
  if (g_str_has_suffix (path, "/flaky.mp4"))
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, picture ? "image/jpeg" : "video/mp4",
                                    SOUP_MEMORY_COPY, bytes, size);
}

static Fake *
fake_new (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  fake->server = soup_server_new (NULL, NULL);
  fake->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fake->queries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fake->clip = clap_test_make_mp4 ("isom", 1000, 3000, 320, 180, FALSE, FALSE);
  fake->picture = clap_test_make_jpeg (320, 180);
  g_queue_init (&fake->creates);
  soup_server_add_handler (fake->server, "/api/v1/video/generations", fake_api, fake, NULL);
  soup_server_add_handler (fake->server, "/results", fake_result, fake, NULL);
  g_assert_true (soup_server_listen_local (fake->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake->server);
  fake->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return fake;
}

static void
fake_free (Fake *fake)
{
  soup_server_disconnect (fake->server);
  g_object_unref (fake->server);
  g_queue_clear_full (&fake->creates, g_free);
  g_hash_table_unref (fake->answers);
  g_hash_table_unref (fake->queries);
  g_bytes_unref (fake->clip);
  g_bytes_unref (fake->picture);
  g_free (fake->base);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

static void
fake_answer (Fake       *fake,
             const char *task_id,
             const char *data)
{
  g_hash_table_replace (fake->answers, g_strdup (task_id), g_strdup (data));
}

static guint
fake_n_queries (Fake       *fake,
                const char *task_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fake->queries, task_id));
}

/* Iterates until @task_id has been asked about @n times. */
static void
wait_queries (Fake       *fake,
              const char *task_id,
              guint       n)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (fake_n_queries (fake, task_id) < n)
    {
      if (g_get_monotonic_time () > end)
        g_error ("%s was asked about %u times, not %u", task_id, fake_n_queries (fake, task_id), n);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
assert_has (const char *text,
            const char *part)
{
  g_assert_nonnull (text);
  if (strstr (text, part) == NULL)
    g_error ("“%s” does not say “%s”", text, part);
}

/* A session talking to @fake, its results in @results_dir (NULL: beside
 * the history). */
static ClapSession *
new_fake_session (Fixture    *fx,
                  Fake       *fake,
                  const char *results_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (fx->db, &error);
  g_autoptr(ClapClient) client = clap_client_new (fake->base, "fake-key", &error);
  ClapSession *session;

  g_assert_no_error (error);
  clap_client_set_retry_policy (client, 2, 20, 40);
  session = clap_session_new (store, client, results_dir);
  clap_poller_set_interval (clap_session_get_poller (session), 30, 100);
  g_signal_connect (session, "error", G_CALLBACK (on_error), fx);
  return session;
}

static gboolean
has_thumbnail (ClapTask *task)
{
  return clap_task_get_thumbnail_file (task) != NULL;
}

static char *
results_file (ClapSession *session,
              ClapTask    *task,
              const char  *suffix)
{
  g_autofree char *name = g_strconcat (clap_task_get_uid (task), suffix, NULL);

  return g_build_filename (clap_session_get_results_dir (session), name, NULL);
}

/* A take's files are named after its own uid, never after the service's
 * task id. */
static void
test_files_named_by_uid (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("named after me");
  g_autoptr(ClapTask) task = NULL;
  g_autofree char *clip = NULL;
  g_autofree char *thumbnail = NULL;

  g_queue_push_tail (&fake->creates, g_strdup ("{\"taskId\":\"cl-named\",\"state\":\"pending\"}"));
  fake_answer (fake, "cl-named", "{\"taskId\":\"cl-named\",\"state\":\"completed\","
                                 "\"resultUrls\":[\"BASE/results/cl-named.mp4\"],"
                                 "\"resultJson\":\"{\\\"thumbnailUrl\\\":"
                                 "\\\"BASE/results/cl-named.jpg\\\"}\"}");
  clap_session_submit (session, request, 1);
  wait_all (session, is_downloaded);
  wait_all (session, has_thumbnail);

  task = get_task (session, 0);
  clip = results_file (session, task, ".mp4");
  thumbnail = results_file (session, task, ".jpg");
  g_assert_cmpstr (clap_task_get_task_id (task), ==, "cl-named");
  g_assert_cmpstr (clap_task_get_local_file (task), ==, clip);
  g_assert_cmpstr (clap_task_get_thumbnail_file (task), ==, thumbnail);
  g_assert_true (g_file_test (clip, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (thumbnail, G_FILE_TEST_IS_REGULAR));
}

static gboolean
is_sent (ClapTask *task)
{
  return clap_task_get_state (task) != CLAP_TASK_STATE_SUBMITTING;
}

/* A create answer whose task id reads as a path: nothing is written where
 * it points, the take is never asked about with it, and it says what
 * happened: it may have been created and charged. */
static void
test_hostile_task_id (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autofree char *results = g_build_filename (fx->dir, "a", "b", "results", NULL);
  g_autofree char *escaped = g_build_filename (fx->dir, "a", "escape", "x.mp4", NULL);
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, results);
  g_autoptr(ClapRequest) request = request_new ("a path for an id");
  g_autoptr(ClapTask) task = NULL;

  g_queue_push_tail (&fake->creates,
                     g_strdup ("{\"taskId\":\"../../escape/x\",\"state\":\"pending\"}"));
  fake_answer (fake, "../../escape/x", "{\"taskId\":\"../../escape/x\",\"state\":\"completed\","
                                       "\"resultUrls\":[\"BASE/results/x.mp4\"]}");
  clap_session_submit (session, request, 1);
  wait_all (session, is_sent);
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);

  task = get_task (session, 0);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_INTERRUPTED);
  g_assert_null (clap_task_get_task_id (task));
  assert_has (clap_task_get_fail_message (task), "task id");
  assert_has (clap_task_get_fail_message (task), "may have been created and charged");
  g_assert_cmpuint (fake_n_queries (fake, "../../escape/x"), ==, 0);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fake->n_results, ==, 0);
}

static void
write_file (const char *path,
            const char *text)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
assert_file_holds (const char *path,
                   const char *text)
{
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, text);
}

/* A completed take as an older history may hold it. */
static ClapTask *
stored_take (ClapStore  *store,
             const char *task_id,
             const char *local_file,
             gint64      complete_time)
{
  g_autoptr(ClapRequest) request = request_new ("from an older history");
  ClapTask *task = clap_task_new_for_request (request);

  clap_task_set_task_id (task, task_id);
  clap_task_set_state (task, CLAP_TASK_STATE_COMPLETED);
  clap_task_set_complete_time (task, complete_time);
  clap_task_set_local_file (task, local_file);
  clap_task_set_saved_time (task, complete_time + 1);
  clap_store_add_async (store, task, NULL, NULL, NULL);
  return task;
}

static gboolean
legacy_evicted (ClapTask *task)
{
  return g_strcmp0 (clap_task_get_task_id (task), "cl-legacy") != 0 ||
         clap_task_get_evicted_time (task) > 0;
}

/* Only files Clapboard made are ever deleted: the cache and "Remove from
 * History" leave a file a take only points to (an older version named
 * files after the service's task id, and "../../Videos/wedding" made a take
 * point at a person's video). A file an older version named after a valid
 * task id is still Clapboard's. */
static void
test_foreign_files_left_alone (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autofree char *wedding = g_build_filename (fx->dir, "Videos", "wedding.mp4", NULL);
  g_autofree char *party = g_build_filename (fx->dir, "Videos", "party.mp4", NULL);
  g_autofree char *results = g_build_filename (fx->dir, "results", NULL);
  g_autofree char *via_results = g_build_filename (results, "..", "Videos", "wedding.mp4", NULL);
  g_autofree char *party_via_results = g_build_filename (results, "..", "Videos", "party.mp4",
                                                        NULL);
  g_autofree char *legacy = g_build_filename (results, "cl-legacy.mp4", NULL);
  g_autoptr(ClapSession) session = NULL;
  g_autoptr(ClapTask) hostile = NULL;
  g_autoptr(ClapTask) removed = NULL;
  g_autoptr(ClapTask) old = NULL;
  g_autoptr(GError) error = NULL;
  ClapStore *store;

  write_file (wedding, "the wedding");
  write_file (party, "the party");
  write_file (legacy, "a clip an older Clapboard fetched");

  session = new_fake_session (fx, fake, NULL);
  store = clap_session_get_store (session);
  hostile = stored_take (store, "../Videos/wedding", via_results, 1000);
  removed = stored_take (store, "../Videos/party", party_via_results, 1000);
  old = stored_take (store, "cl-legacy", legacy, 2000);
  g_assert_true (clap_store_flush (store, &error));

  /* a one-byte cache drops what it may, oldest first */
  clap_session_set_cache_limits (session, 1, 30);
  wait_all (session, legacy_evicted);
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  assert_file_holds (wedding, "the wedding");
  assert_file_holds (party, "the party");

  /* Remove from History */
  clap_session_remove (session, removed);
  g_assert_true (clap_store_flush (store, &error));
  assert_file_holds (party, "the party");

  /* what the history says is checked before it is believed */
  clap_session_resume (session);
  g_assert_null (clap_task_get_local_file (hostile));
  clap_session_remove (session, hostile);
  assert_file_holds (wedding, "the wedding");
}

static gboolean
b_downloaded (ClapTask *task)
{
  return g_strcmp0 (clap_task_get_task_id (task), "cl-b") != 0 || is_downloaded (task);
}

/* A link in the results folder is not a clip another process fetched: it
 * is never adopted, and the person's file it points to is never
 * written. */
static void
test_links_never_adopted (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autofree char *holiday = g_build_filename (fx->dir, "Videos", "holiday.mp4", NULL);
  g_autoptr(ClapSession) session = NULL;
  g_autoptr(ClapTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *by_uid = NULL;
  g_autofree char *by_id = NULL;
  g_autofree char *contents = NULL;
  const char *urls[] = { NULL, NULL };
  g_autofree char *url = NULL;
  ClapStore *store;
  gsize size;

  write_file (holiday, "the holiday");
  session = new_fake_session (fx, fake, NULL);
  store = clap_session_get_store (session);
  url = g_strdup_printf ("%s/results/cl-b.mp4", fake->base);
  urls[0] = url;
  task = stored_take (store, "cl-b", NULL, g_get_real_time () / 1000);
  clap_task_set_saved_time (task, 0);
  clap_task_set_result_urls (task, urls);
  g_assert_true (clap_store_flush (store, &error));

  g_assert_cmpint (g_mkdir_with_parents (clap_session_get_results_dir (session), 0700), ==, 0);
  by_uid = results_file (session, task, ".mp4");
  by_id = g_build_filename (clap_session_get_results_dir (session), "cl-b.mp4", NULL);
  g_assert_cmpint (symlink (holiday, by_uid), ==, 0);
  g_assert_cmpint (symlink (holiday, by_id), ==, 0);

  clap_session_resume (session);
  wait_all (session, b_downloaded);

  g_assert_cmpstr (clap_task_get_local_file (task), ==, by_uid);
  g_assert_false (g_file_test (by_uid, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (by_uid, &contents, &size, NULL));
  g_assert_cmpuint (size, ==, g_bytes_get_size (fake->clip));
  assert_file_holds (holiday, "the holiday");

  /* its own file goes with it; the link of the task id's name stays */
  clap_session_remove (session, task);
  g_assert_false (g_file_test (by_uid, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (by_id, G_FILE_TEST_IS_SYMLINK));
  assert_file_holds (holiday, "the holiday");
}

static gboolean
is_pending_with_id (ClapTask *task)
{
  return clap_task_get_task_id (task) != NULL;
}

/* Once a take has its id, an answer about another task changes nothing:
 * the take says why and is asked about again, and takes the right answer
 * when it comes. */
static void
test_answer_for_another_task (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("mine, not theirs");
  g_autoptr(ClapTask) task = NULL;
  const GError *reported;

  g_queue_push_tail (&fake->creates, g_strdup ("{\"taskId\":\"cl-mine\",\"state\":\"pending\"}"));
  fake_answer (fake, "cl-mine", "{\"taskId\":\"cl-other\",\"state\":\"completed\","
                                "\"resultUrls\":[\"BASE/results/other.mp4\"]}");
  clap_session_submit (session, request, 1);
  wait_all (session, is_pending_with_id);
  task = get_task (session, 0);

  wait_queries (fake, "cl-mine", 3);

  g_assert_cmpstr (clap_task_get_task_id (task), ==, "cl-mine");
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_PENDING);
  g_assert_null (clap_task_get_result_urls (task));
  g_assert_cmpstr (clap_task_get_error_message (task), ==,
                   "The service answered for task “cl-other” when asked about “cl-mine”; the "
                   "answer was ignored.");
  g_assert_cmpuint (fake->n_results, ==, 0);
  /* said once, not at every answer */
  g_assert_cmpuint (fx->errors->len, ==, 1);
  reported = g_ptr_array_index (fx->errors, 0);
  g_assert_error (reported, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);

  /* the right answer is taken, and the complaint goes */
  fake_answer (fake, "cl-mine", "{\"taskId\":\"cl-mine\",\"state\":\"completed\","
                                "\"resultUrls\":[\"BASE/results/mine.mp4\"]}");
  wait_all (session, is_downloaded);
  g_assert_cmpstr (clap_task_get_task_id (task), ==, "cl-mine");
  g_assert_null (clap_task_get_error_message (task));
}

static gboolean
has_warning (ClapTask *task)
{
  return clap_task_get_warning (task) != NULL;
}

/* Two creates answered with one task id: both takes are kept, each fetches
 * its own file, both say so, and a hint for the id reaches both. */
static void
test_duplicate_task_ids (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("twins");
  g_autoptr(ClapTask) first = NULL;
  g_autoptr(ClapTask) second = NULL;
  g_autoptr(GPtrArray) both = NULL;
  g_autoptr(GError) error = NULL;
  const char *warning =
    "The service gave this take the same task id as another take (“cl-twin”): it may be the "
    "same clip. Check your provider dashboard.";
  guint queries;

  for (guint i = 0; i < 2; i++)
    g_queue_push_tail (&fake->creates, g_strdup ("{\"taskId\":\"cl-twin\",\"state\":\"pending\"}"));
  fake_answer (fake, "cl-twin", "{\"taskId\":\"cl-twin\",\"state\":\"completed\","
                                "\"resultUrls\":[\"BASE/results/twin.mp4\"]}");
  clap_session_submit (session, request, 2);
  wait_all (session, is_downloaded);
  wait_all (session, has_warning);

  first = get_task (session, 1);
  second = get_task (session, 0);
  g_assert_cmpstr (clap_task_get_task_id (first), ==, "cl-twin");
  g_assert_cmpstr (clap_task_get_task_id (second), ==, "cl-twin");
  g_assert_cmpstr (clap_task_get_local_file (first), !=, clap_task_get_local_file (second));
  g_assert_true (g_file_test (clap_task_get_local_file (first), G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (clap_task_get_local_file (second), G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (fake->n_results, ==, 2);
  g_assert_cmpstr (clap_task_get_warning (first), ==, warning);
  g_assert_cmpstr (clap_task_get_warning (second), ==, warning);

  both = clap_store_find_all_by_task_id (clap_session_get_store (session), "cl-twin");
  g_assert_cmpuint (both->len, ==, 2);

  /* a callback for the id: both are asked about */
  queries = fake_n_queries (fake, "cl-twin");
  g_assert_true (clap_session_hint (session, "cl-twin"));
  wait_queries (fake, "cl-twin", queries + 2);

  /* the warning is kept; it goes once the other take is gone */
  g_assert_true (clap_store_flush (clap_session_get_store (session), &error));
  {
    g_autoptr(ClapStore) again = clap_store_open (fx->db, &error);
    ClapTask *loaded = clap_store_find_by_uid (again, clap_task_get_uid (first));

    g_assert_cmpstr (clap_task_get_warning (loaded), ==, warning);
  }
  clap_session_remove (session, second);
  g_assert_null (clap_task_get_warning (first));
  g_assert_true (g_file_test (clap_task_get_local_file (first), G_FILE_TEST_IS_REGULAR));
}

static gboolean
is_completed (ClapTask *task)
{
  return clap_task_get_state (task) == CLAP_TASK_STATE_COMPLETED;
}

/* Completed with no link Clapboard can use: said, not downloaded, asked
 * about again (slowly, for a while), and fetched once a link comes. */
static void
test_completed_without_link (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("where is it?");
  g_autoptr(ClapTask) task = NULL;
  ClapPoller *poller = clap_session_get_poller (session);
  guint queries;

  clap_poller_set_link_interval (poller, 30, 60, 60 * 1000);
  g_queue_push_tail (&fake->creates, g_strdup ("{\"taskId\":\"cl-nolink\",\"state\":\"pending\"}"));
  fake_answer (fake, "cl-nolink", "{\"taskId\":\"cl-nolink\",\"state\":\"completed\"}");
  clap_session_submit (session, request, 1);
  wait_all (session, is_completed);
  task = get_task (session, 0);

  assert_has (clap_task_get_error_message (task), "gave no link");
  g_assert_false (clap_task_needs_download (task));
  g_assert_true (clap_task_is_missing_link (task));
  /* nothing a command would wait for */
  g_assert_cmpuint (clap_poller_get_n_active (poller), ==, 0);

  queries = fake_n_queries (fake, "cl-nolink");
  wait_queries (fake, "cl-nolink", queries + 2);
  g_assert_null (clap_task_get_local_file (task));

  fake_answer (fake, "cl-nolink", "{\"taskId\":\"cl-nolink\",\"state\":\"completed\","
                                  "\"resultUrls\":[\"BASE/results/late.mp4\"]}");
  wait_all (session, is_downloaded);
  g_assert_null (clap_task_get_error_message (task));
  g_assert_false (clap_task_is_missing_link (task));
}

/* A take that finished without a link is asked about once when the
 * history is resumed (then for a while), unless its result would have
 * expired anyway; and its day of asking ends. */
static void
test_resume_asks_for_link (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapTask) recent = NULL;
  g_autoptr(ClapTask) old = NULL;
  g_autoptr(GError) error = NULL;
  ClapStore *store = clap_session_get_store (session);
  ClapPoller *poller = clap_session_get_poller (session);
  gint64 now = g_get_real_time () / 1000;

  /* asked about once at start; its day of asking is over at once */
  clap_poller_set_link_interval (poller, 30, 60, 0);
  recent = stored_take (store, "cl-recent", NULL, now - 60 * 1000);
  old = stored_take (store, "cl-old", NULL, now - 8 * 24 * 3600 * (gint64) 1000);
  clap_task_set_saved_time (recent, 0);
  clap_task_set_saved_time (old, 0);
  g_assert_true (clap_store_flush (store, &error));
  fake_answer (fake, "cl-recent", "{\"taskId\":\"cl-recent\",\"state\":\"completed\"}");

  clap_session_resume (session);
  g_assert_cmpuint (clap_poller_get_n_active (poller), ==, 1);
  wait_queries (fake, "cl-recent", 1);
  while (clap_poller_get_n_active (poller) > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (fake_n_queries (fake, "cl-recent"), ==, 1);
  g_assert_cmpuint (fake_n_queries (fake, "cl-old"), ==, 0);
  assert_has (clap_task_get_error_message (recent), "gave no link");
  /* nothing waits forever */
  g_assert_false (clap_poller_is_scheduled (poller));
}

static gboolean
is_processing (ClapTask *task)
{
  return clap_task_get_state (task) == CLAP_TASK_STATE_PROCESSING;
}

/* A state Clapboard does not know keeps the take followed, and the take
 * shows the service's word for it, escaped; a known state takes it back. */
static void
test_unknown_state_shown (Fixture       *fx,
                          gconstpointer  data)
{
  g_autoptr(ClapTask) task = clap_task_new_for_request (NULL);
  ClapTaskInfo odd = { 0 };
  ClapTaskInfo known = { 0 };
  g_autoptr(GError) error = NULL;

  odd.task_id = (char *) "cl-odd";
  odd.state = CLAP_TASK_STATE_PROCESSING;
  odd.service_state = (char *) "rendering\033[2J";
  g_assert_true (clap_task_apply_info (task, &odd, &error));
  g_assert_no_error (error);
  g_assert_true (is_processing (task));
  g_assert_cmpstr (clap_task_get_service_state (task), ==, "rendering\\x1B[2J");

  known.task_id = (char *) "cl-odd";
  known.state = CLAP_TASK_STATE_PROCESSING;
  clap_task_apply_info (task, &known, &error);
  g_assert_no_error (error);
  g_assert_null (clap_task_get_service_state (task));

  /* an id that cannot be used is refused, and changes nothing */
  known.task_id = (char *) "../../x";
  known.state = CLAP_TASK_STATE_COMPLETED;
  g_assert_false (clap_task_apply_info (task, &known, &error));
  g_assert_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL);
  g_assert_cmpstr (clap_task_get_task_id (task), ==, "cl-odd");
  g_assert_true (is_processing (task));
}

/* A result is capped by what its take can weigh: its length at a generous
 * rate, plus room, never past the ceiling; 30 s when the length is
 * unknown. */
static void
test_result_cap (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(ClapRequest) three = request_new ("three seconds");
  g_autoptr(ClapRequest) motion = clap_request_new ("kling-motion-control");
  g_autoptr(ClapTask) short_take = clap_task_new_for_request (three);
  g_autoptr(ClapTask) unknown = clap_task_new_for_request (motion);
  g_autoptr(ClapTask) bare = clap_task_new_for_request (NULL);

  g_assert_cmpuint (_clap_results_max_bytes (short_take), ==,
                    CLAP_RESULT_BYTES_SLACK + 3 * CLAP_RESULT_BYTES_PER_SECOND);
  g_assert_cmpuint (_clap_results_max_bytes (unknown), ==,
                    CLAP_RESULT_BYTES_SLACK + 30 * CLAP_RESULT_BYTES_PER_SECOND);
  g_assert_cmpuint (_clap_results_max_bytes (bare), <=, CLAP_RESULT_MAX_BYTES);
  g_assert_cmpuint (_clap_results_max_bytes (short_take), <, CLAP_RESULT_MAX_BYTES);
}

/* A task id an older version kept that could not be used safely is never
 * sent back: the take is not asked about, and says why. */
static void
test_unusable_stored_id (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("kept by an older version");
  g_autoptr(ClapTask) task = clap_task_new_for_request (request);
  g_autoptr(GError) error = NULL;
  ClapStore *store = clap_session_get_store (session);

  clap_task_set_task_id (task, "../../Videos/wedding");
  clap_task_set_state (task, CLAP_TASK_STATE_PENDING);
  clap_store_add_async (store, task, NULL, NULL, NULL);
  g_assert_true (clap_store_flush (store, &error));

  clap_session_resume (session);
  g_assert_cmpuint (clap_poller_get_n_active (clap_session_get_poller (session)), ==, 0);
  g_assert_false (clap_poller_is_scheduled (clap_session_get_poller (session)));
  assert_has (clap_task_get_error_message (task), "cannot use");
  assert_has (clap_task_get_error_message (task), "not asked about");
  g_assert_false (clap_session_hint (session, "../../Videos/wedding"));
  g_assert_cmpuint (g_hash_table_size (fake->queries), ==, 0);
}

/* A take keeps what was sent and answered (its create, then its queries)
 * as its Request Details, without the key. */
static void
test_request_details (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) request = request_new ("what did we say?");
  g_autoptr(ClapTask) task = NULL;
  g_autoptr(JsonNode) details = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonArray *array;
  JsonObject *create;
  JsonObject *query;

  clap_session_submit (session, request, 1);
  wait_all (session, is_downloaded);
  task = get_task (session, 0);
  g_assert_true (clap_store_flush (clap_session_get_store (session), &error));

  details = clap_store_dup_exchanges (clap_session_get_store (session), clap_task_get_uid (task),
                                      &error);
  g_assert_no_error (error);
  array = json_node_get_array (details);
  g_assert_cmpuint (json_array_get_length (array), >=, 2);

  create = json_object_get_object_member (json_array_get_object_element (array, 0), "exchange");
  g_assert_cmpstr (json_object_get_string_member (create, "method"), ==, "POST");
  g_assert_cmpint (json_object_get_int_member (create, "status"), ==, 200);
  assert_has (json_object_get_string_member (create, "requestBody"), "what did we say?");
  assert_has (json_object_get_string_member (create, "responseBody"), clap_task_get_task_id (task));

  query = json_object_get_object_member (json_array_get_object_element (array, 1), "exchange");
  g_assert_cmpstr (json_object_get_string_member (query, "method"), ==, "GET");
  assert_has (json_object_get_string_member (query, "url"), clap_task_get_task_id (task));

  text = json_to_string (details, FALSE);
  g_assert_null (strstr (text, "session-key"));
}

static gboolean
download_failed (ClapTask *task)
{
  return clap_task_get_error_message (task) != NULL;
}

static ClapTask *
find_by_id (ClapSession *session,
            const char  *task_id)
{
  ClapTask *task = clap_store_find_by_task_id (clap_session_get_store (session), task_id);

  g_assert_nonnull (task);
  return task;
}

/* A body past the take's cap, or one that is not a video, is refused and
 * not fetched again later; a server error is. The take says why. */
static void
test_final_download_errors (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(Fake) fake = fake_new ();
  g_autoptr(ClapSession) session = new_fake_session (fx, fake, NULL);
  g_autoptr(ClapRequest) request = request_new ("three ways to fail");
  const char *ids[] = { "cl-page", "cl-endless", "cl-flaky" };
  const char *files[] = { "page", "endless", "flaky" };
  ClapTask *page, *endless, *flaky;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *create = g_strdup_printf ("{\"taskId\":\"%s\",\"state\":\"pending\"}",
                                                 ids[i]);
      g_autofree char *done = g_strdup_printf ("{\"taskId\":\"%s\",\"state\":\"completed\","
                                               "\"resultUrls\":[\"BASE/results/%s.mp4\"]}",
                                               ids[i], files[i]);

      g_queue_push_tail (&fake->creates, g_steal_pointer (&create));
      fake_answer (fake, ids[i], done);
    }
  clap_session_submit (session, request, 3);
  wait_all (session, download_failed);

  page = find_by_id (session, "cl-page");
  endless = find_by_id (session, "cl-endless");
  flaky = find_by_id (session, "cl-flaky");

  assert_has (clap_task_get_error_message (page), "not a video");
  assert_has (clap_task_get_error_message (endless), "more than");
  g_assert_null (clap_task_get_local_file (page));
  g_assert_null (clap_task_get_local_file (endless));
  g_assert_false (_clap_session_will_retry_download (session, page));
  g_assert_false (_clap_session_will_retry_download (session, endless));
  g_assert_true (_clap_session_will_retry_download (session, flaky));

  /* The refusal is kept with the take: a later start or `resume` does not
   * fetch it again; a passing fault is fetched again. */
  g_assert_cmpint (clap_task_get_refused_time (page), >, 0);
  g_assert_cmpint (clap_task_get_refused_time (endless), >, 0);
  g_assert_cmpint (clap_task_get_refused_time (flaky), ==, 0);
  g_assert_false (clap_task_needs_download (page));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(ClapStore) reread = NULL;

    /* what a later start reads */
    g_assert_true (clap_store_flush (clap_session_get_store (session), &error));
    reread = clap_store_open_for_reading (fx->db, &error);
    g_assert_no_error (error);
    g_assert_cmpint (clap_task_get_refused_time (clap_store_find_by_task_id (reread, "cl-page")),
                     >, 0);
    g_assert_false (clap_task_needs_download (clap_store_find_by_task_id (reread, "cl-endless")));
    g_assert_true (clap_task_needs_download (clap_store_find_by_task_id (reread, "cl-flaky")));
  }
}

/* The take whose prompt starts with @prefix (a new reference). */
static ClapTask *
find_by_prompt (ClapSession *session,
                const char  *prefix)
{
  GListModel *model = G_LIST_MODEL (clap_session_get_store (session));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (model, i);

      if (g_str_has_prefix (clap_task_get_prompt (task), prefix))
        return g_steal_pointer (&task);
    }
  g_assert_not_reached ();
}

/* A take run on another model than asked carries a warning; one answered
 * as asked does not. The price stays what was asked. */
static void
test_echo_warning (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(ClapSession) session = new_session (fx);
  g_autoptr(ClapRequest) other = request_new ("Answered as another model "
                                               "[sim:echo-model=kling-video/kling-v2-6]");
  g_autoptr(ClapRequest) same = request_new ("Answered as asked");
  g_autoptr(ClapTask) echoed = NULL;
  g_autoptr(ClapTask) plain = NULL;
  ClapPrice price = 0;

  clap_session_submit (session, other, 1);
  clap_session_submit (session, same, 1);
  wait_all (session, is_downloaded);

  echoed = find_by_prompt (session, "Answered as another model");
  plain = find_by_prompt (session, "Answered as asked");
  g_assert_nonnull (clap_task_get_warning (echoed));
  g_assert_nonnull (strstr (clap_task_get_warning (echoed), "kling-video/kling-v2-6"));
  g_assert_nonnull (strstr (clap_task_get_warning (echoed), "Kling 3"));
  g_assert_null (clap_task_get_warning (plain));

  g_assert_true (clap_request_estimate (other, &price));
  g_assert_cmpint (clap_task_get_cost (echoed), ==, price);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/core/session/" path, Fixture, NULL, setup, func, teardown)
  ADD ("submit-to-file", test_submit_to_file);
  ADD ("uncertain-then-retry", test_uncertain_then_retry);
  ADD ("refused", test_refused);
  ADD ("bad-input-spends-nothing", test_bad_input_spends_nothing);
  ADD ("resume", test_resume);
  ADD ("expired-result", test_expired_result);
  ADD ("hint-and-remove", test_hint_and_remove);
  ADD ("cache-never-drops-the-only-copy", test_cache_never_drops_the_only_copy);
  ADD ("live-submission-left-alone", test_live_submission_left_alone);
  ADD ("files-named-by-uid", test_files_named_by_uid);
  ADD ("hostile-task-id", test_hostile_task_id);
  ADD ("foreign-files-left-alone", test_foreign_files_left_alone);
  ADD ("links-never-adopted", test_links_never_adopted);
  ADD ("answer-for-another-task", test_answer_for_another_task);
  ADD ("duplicate-task-ids", test_duplicate_task_ids);
  ADD ("completed-without-link", test_completed_without_link);
  ADD ("resume-asks-for-link", test_resume_asks_for_link);
  ADD ("unknown-state-shown", test_unknown_state_shown);
  ADD ("result-cap", test_result_cap);
  ADD ("unusable-stored-id", test_unusable_stored_id);
  ADD ("request-details", test_request_details);
  ADD ("final-download-errors", test_final_download_errors);
  ADD ("echo-warning", test_echo_warning);

  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "clap-test-files.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "clap-media.h"
#include "clap-session.h"
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

  return g_test_run ();
}

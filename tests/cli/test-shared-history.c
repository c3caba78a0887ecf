/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "clap-session.h"
#include "clap-sim-server.h"
#include "clap-task-private.h"
#include "clap-test-files.h"

/* One history, two processes: this one plays the application (a session
 * over a watched store) and clapboard-cli the other, both against one
 * simulator. What the command line writes shows up here as it happens;
 * what it follows is left to it; what it leaves is taken over; and no
 * process writes an older version of a take over a newer one. */

typedef struct {
  ClapSimServer *sim;
  char          *base;
  char          *dir;
  char          *db;
  ClapSession   *session;
  GPtrArray     *seen;     /* states of the CLI's take, as imported */
} Fixture;

static void
on_changed_elsewhere (ClapStore *store,
                      ClapTask  *task,
                      Fixture   *fx)
{
  g_ptr_array_add (fx->seen, GINT_TO_POINTER (clap_task_get_state (task)));
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapClient) client = NULL;
  g_autoptr(ClapStore) store = NULL;

  fx->dir = g_dir_make_tmp ("clap-shared-XXXXXX", NULL);
  fx->db = g_build_filename (fx->dir, "history.db", NULL);
  fx->seen = g_ptr_array_new ();
  fx->sim = clap_sim_server_new ();
  g_object_set (fx->sim, "pending-ms", 300, "processing-ms", 1500, NULL);
  g_assert_true (clap_sim_server_listen (fx->sim, 0, &error));
  fx->base = clap_sim_server_dup_base_url (fx->sim);

  client = clap_client_new (fx->base, "shared-key", &error);
  g_assert_no_error (error);
  store = clap_store_open (fx->db, &error);
  g_assert_no_error (error);
  fx->session = clap_session_new (store, client, NULL);
  clap_poller_set_interval (clap_session_get_poller (fx->session), 50, 200);
  g_signal_connect (store, "changed-elsewhere", G_CALLBACK (on_changed_elsewhere), fx);
  clap_store_watch (store);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  g_clear_object (&fx->session);
  g_clear_object (&fx->sim);
  clap_test_rm_rf (fx->dir);
  g_free (fx->dir);
  g_free (fx->db);
  g_free (fx->base);
  g_ptr_array_unref (fx->seen);
}

/* Starts clapboard-cli on the shared history; the simulator answers it
 * from this process's main loop. */
static GSubprocess *
spawn_cli (Fixture            *fx,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);

  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_BASE_URL", fx->base, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_API_KEY", "shared-key", TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_DATA_DIR", fx->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_POLL_MS", "100", TRUE);
  return clap_test_spawn_cli (launcher, args);
}

typedef gboolean (*Condition) (Fixture *fx, gpointer data);

static void
wait_for (Fixture    *fx,
          Condition   cond,
          gpointer    data,
          const char *what)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!cond (fx, data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
exited (Fixture  *fx,
        gpointer  child)
{
  return g_subprocess_get_identifier (child) == NULL;
}

static ClapTask *
find_prompt (Fixture    *fx,
             const char *prompt)
{
  GListModel *model = G_LIST_MODEL (clap_session_get_store (fx->session));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (model, i);

      if (g_strcmp0 (clap_task_get_prompt (task), prompt) == 0)
        return task;
    }
  return NULL;
}

static gboolean
downloaded (Fixture  *fx,
            gpointer  prompt)
{
  ClapTask *task = find_prompt (fx, prompt);

  return task != NULL && clap_task_get_local_file (task) != NULL;
}

#define CLI(...) ((const char *[]) { "generate", "--model", "kling-v3", "--duration", "3", \
                                     __VA_ARGS__, NULL })

/* clapboard-cli generate --wait, while "the window" is open: the take
 * appears at once, moves through its states, and ends completed with the
 * video the command line fetched; the window neither polls nor fetches a
 * take another running process follows. */
static void
test_live (Fixture       *fx,
           gconstpointer  data)
{
  const char *prompt = "a take made on the command line";
  g_autoptr(GSubprocess) cli = spawn_cli (fx, CLI ("--prompt", prompt, "--wait"));
  gboolean before_final = FALSE;
  ClapTask *task;

  wait_for (fx, exited, cli, "clapboard-cli to finish");
  g_assert_true (g_subprocess_get_if_exited (cli));
  g_assert_cmpint (g_subprocess_get_exit_status (cli), ==, 0);
  wait_for (fx, downloaded, (gpointer) prompt, "the take and its video to show up");

  task = find_prompt (fx, prompt);
  g_assert_cmpint (clap_task_get_state (task), ==, CLAP_TASK_STATE_COMPLETED);
  g_assert_true (g_file_test (clap_task_get_local_file (task), G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (clap_task_get_task_id (task));

  /* seen while it was still under way, not only once it was done */
  for (guint i = 0; i < fx->seen->len; i++)
    before_final |= !clap_task_state_is_final (GPOINTER_TO_INT (g_ptr_array_index (fx->seen, i)));
  g_assert_true (before_final);

  /* one download: the command line's */
  g_assert_cmpuint (clap_sim_server_get_request_count (fx->sim, CLAP_SIM_ENDPOINT_RESULT_GET), ==, 1);
  g_assert_cmpuint (clap_session_get_n_busy (fx->session), ==, 0);
}

/* clapboard-cli generate without --wait leaves a pending take behind: the
 * window takes it over, follows it and fetches its video. */
static void
test_taken_over (Fixture       *fx,
                 gconstpointer  data)
{
  const char *prompt = "left behind by the command line";
  g_autoptr(GSubprocess) cli = spawn_cli (fx, CLI ("--prompt", prompt));
  g_autoptr(GError) error = NULL;

  wait_for (fx, exited, cli, "clapboard-cli to finish");
  g_assert_cmpint (g_subprocess_get_exit_status (cli), ==, 0);
  wait_for (fx, downloaded, (gpointer) prompt, "the window to fetch the take");
  g_assert_cmpint (clap_task_get_state (find_prompt (fx, prompt)), ==, CLAP_TASK_STATE_COMPLETED);

  /* and the history says so */
  g_assert_true (clap_store_flush (clap_session_get_store (fx->session), &error));
  {
    g_autoptr(ClapStore) again = clap_store_open (fx->db, &error);
    ClapTask *stored = clap_store_find_by_uid (again, clap_task_get_uid (find_prompt (fx, prompt)));

    g_assert_no_error (error);
    g_assert_nonnull (clap_task_get_local_file (stored));
  }
}

static void
saved (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  GError **error = user_data;

  if (!clap_store_save_finish (CLAP_STORE (source), result, error) && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "written");
}

static gboolean
is_set (Fixture  *fx,
        gpointer  error)
{
  return *(GError **) error != NULL;
}

/* A process holding an older version of a take (loaded before the command
 * line finished it) cannot write it over the newer one; a new attempt of
 * the take ("Send Again") can. */
static void
test_no_step_back (Fixture       *fx,
                   gconstpointer  data)
{
  const char *prompt = "finished elsewhere";
  g_autoptr(GSubprocess) cli = spawn_cli (fx, CLI ("--prompt", prompt, "--wait"));
  g_autoptr(ClapStore) stale = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) refused = NULL;
  g_autoptr(GError) accepted = NULL;
  ClapTask *old;
  const char *uid;

  wait_for (fx, exited, cli, "clapboard-cli to finish");
  wait_for (fx, downloaded, (gpointer) prompt, "the take to complete");
  uid = clap_task_get_uid (find_prompt (fx, prompt));

  /* an older version: still processing, no video */
  stale = clap_store_open (fx->db, &error);
  g_assert_no_error (error);
  old = clap_store_find_by_uid (stale, uid);
  clap_task_set_local_file (old, NULL);
  clap_task_set_state (old, CLAP_TASK_STATE_PROCESSING);
  g_assert_true (clap_store_flush (stale, &error));

  /* a write that must be on disk (before money is spent) says it is not */
  clap_store_save_async (stale, old, NULL, saved, &refused);
  wait_for (fx, is_set, &refused, "the refused write");
  g_assert_error (refused, CLAP_STORE_ERROR, CLAP_STORE_ERROR_CHANGED);

  {
    g_autoptr(ClapStore) reread = clap_store_open (fx->db, &error);
    ClapTask *kept = clap_store_find_by_uid (reread, uid);

    g_assert_cmpint (clap_task_get_state (kept), ==, CLAP_TASK_STATE_COMPLETED);
    g_assert_nonnull (clap_task_get_local_file (kept));
  }

  /* a new attempt is newer than anything of the last one */
  _clap_task_begin_attempt (old);
  clap_task_set_state (old, CLAP_TASK_STATE_SUBMITTING);
  clap_store_save_async (stale, old, NULL, saved, &accepted);
  wait_for (fx, is_set, &accepted, "the new attempt's write");
  g_assert_error (accepted, G_IO_ERROR, G_IO_ERROR_EXISTS);
  {
    g_autoptr(ClapStore) reread = clap_store_open (fx->db, &error);

    g_assert_cmpint (clap_task_get_state (clap_store_find_by_uid (reread, uid)), ==,
                     CLAP_TASK_STATE_SUBMITTING);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli/shared-history/live", Fixture, NULL, setup, test_live, teardown);
  g_test_add ("/cli/shared-history/taken-over", Fixture, NULL, setup, test_taken_over, teardown);
  g_test_add ("/cli/shared-history/no-step-back", Fixture, NULL, setup, test_no_step_back,
              teardown);

  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clap-test-files.h"
#include "rel-util.h"
#include "sim-test-util.h"

/* kill -9 at random points. Rounds of 20 clapboard-cli generate processes
 * share one history and one simulator; each is killed after a random delay
 * (some with --wait, some without, some never), then `clapboard-cli resume`
 * runs, and is itself killed at a random point two times in three. After the
 * last round resume runs to the end, and the history is held against what
 * the simulator really created:
 *
 * - the database passes PRAGMA integrity_check;
 * - every task the service created is in the history with its final state
 *   and, when completed, its video on disk, whole, with no .part left;
 * - no take was created twice;
 * - a task the history cannot name belongs to a take marked "interrupted"
 *   (a kill between the service creating it and the history storing its id
 *   cannot be avoided), so created - known <= interrupted.
 *
 * The random choices come from one seed, printed; CLAPBOARD_KILL_SEED
 * replays them (the kernel's scheduling still varies from run to run).
 * CLAPBOARD_KILL_ROUNDS changes the number of rounds (20).
 */

#define N_TAKES          20
#define DEFAULT_ROUNDS   20
#define HANG_MS          30000

typedef struct {
  GSubprocess *process;
  char        *prompt;
  char        *err_path;
  guint        kill_ms;    /* 0: never killed */
  guint        kill_id;
  guint        hang_id;
  gboolean     wait;
  gboolean     done;
  gboolean     hung;
} Child;

typedef struct {
  guint n_started;
  guint n_killed;          /* ended by our SIGKILL */
  guint n_exited;          /* finished by themselves */
  guint n_resumes;
  guint n_resumes_killed;
} Totals;

static guint32 seed;
static guint n_rounds = DEFAULT_ROUNDS;
static char *tmp_dir;
static char *data_dir;
static char *clip;

static void
child_clear (Child *child)
{
  g_clear_handle_id (&child->kill_id, g_source_remove);
  g_clear_handle_id (&child->hang_id, g_source_remove);
  g_clear_object (&child->process);
  g_clear_pointer (&child->prompt, g_free);
  if (child->err_path != NULL)
    g_unlink (child->err_path);
  g_clear_pointer (&child->err_path, g_free);
}

static void
child_waited (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Child *child = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  child->done = TRUE;
}

static gboolean
kill_cb (gpointer user_data)
{
  Child *child = user_data;

  child->kill_id = 0;
  /* A no-op when it has already ended. */
  if (!child->done)
    g_subprocess_send_signal (child->process, SIGKILL);
  return G_SOURCE_REMOVE;
}

static gboolean
hang_cb (gpointer user_data)
{
  Child *child = user_data;

  child->hang_id = 0;
  if (!child->done)
    {
      child->hung = TRUE;
      g_subprocess_send_signal (child->process, SIGKILL);
    }
  return G_SOURCE_REMOVE;
}

static void
child_spawn (Child              *child,
             RelSim             *sim,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    rel_cli_launcher (sim, data_dir, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int fd;

  fd = g_file_open_tmp ("clap-rel-kill-XXXXXX.err", &child->err_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_subprocess_launcher_set_stderr_file_path (launcher, child->err_path);

  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAPBOARD_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  child->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                 &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (child->process, NULL, child_waited, child);
  if (child->kill_ms > 0)
    child->kill_id = g_timeout_add (child->kill_ms, kill_cb, child);
  child->hang_id = g_timeout_add (HANG_MS, hang_cb, child);
}

/* Whether @child ended by our SIGKILL; fails on any other way to die or on
 * an exit code that is not in @allowed (terminated by -1). */
static gboolean
child_check (Child     *child,
             const int *allowed)
{
  g_autofree char *err = NULL;

  g_file_get_contents (child->err_path, &err, NULL, NULL);

  if (child->hung)
    g_error ("clapboard-cli did not finish in %d s (prompt “%s”); stderr:\n%s", HANG_MS / 1000,
             child->prompt, err);

  if (g_subprocess_get_if_signaled (child->process))
    {
      if (g_subprocess_get_term_sig (child->process) != SIGKILL || child->kill_ms == 0)
        g_error ("clapboard-cli died of signal %d (prompt “%s”); stderr:\n%s",
                 g_subprocess_get_term_sig (child->process), child->prompt, err);
      return TRUE;
    }

  for (guint i = 0; allowed[i] >= 0; i++)
    if (g_subprocess_get_exit_status (child->process) == allowed[i])
      return FALSE;

  g_error ("clapboard-cli exited with %d (prompt “%s”); stderr:\n%s",
           g_subprocess_get_exit_status (child->process), child->prompt, err);
}

static gboolean
all_done (Child *children,
          guint  n)
{
  for (guint i = 0; i < n; i++)
    if (!children[i].done)
      return FALSE;
  return TRUE;
}

static void
run_round (RelSim *sim,
           GRand  *rand,
           guint   round,
           Totals *totals)
{
  /* generate: 0, or 7 when a --wait take failed as asked */
  static const int generate_ok[] = { 0, 7, -1 };
  /* resume: 0, or 1 when a take failed on the service */
  static const int resume_ok[] = { 0, 1, -1 };
  Child children[N_TAKES] = { { 0 } };
  Child resume = { 0 };
  guint killed = 0;

  for (guint i = 0; i < N_TAKES; i++)
    {
      Child *child = &children[i];
      gboolean fail = g_rand_int_range (rand, 0, 10) == 0;
      const char *model = g_rand_boolean (rand) ? "kling-v2-6" : "kling-v3";
      const char *args[8];
      guint n = 0;

      child->wait = g_rand_boolean (rand);
      /* One in ten is left alone; the others die somewhere between their
       * start and their end (in a batch of 20 on two cores: 0.1–0.5 s without --wait, 0.6–0.9 s with it). */
      child->kill_ms = g_rand_int_range (rand, 0, 10) == 0
                       ? 0 : (guint) g_rand_int_range (rand, 1, child->wait ? 900 : 250);
      child->prompt = g_strdup_printf ("Round %02u take %02u seed %u%s", round, i, seed,
                                       fail ? " [sim:fail]" : "");

      args[n++] = "generate";
      args[n++] = "--model";
      args[n++] = model;
      args[n++] = "--prompt";
      args[n++] = child->prompt;
      if (child->wait)
        args[n++] = "--wait";
      args[n] = NULL;
      child_spawn (child, sim, args);

      /* Spawning takes a while on a loaded machine: let the kills that are
       * due meanwhile happen on time. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  while (!all_done (children, N_TAKES))
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < N_TAKES; i++)
    {
      if (child_check (&children[i], generate_ok))
        killed++;
      child_clear (&children[i]);
    }

  totals->n_started += N_TAKES;
  totals->n_killed += killed;
  totals->n_exited += N_TAKES - killed;

  /* The application's start-up, killed two times in three too. */
  resume.prompt = g_strdup ("(resume)");
  resume.kill_ms = g_rand_int_range (rand, 0, 3) > 0 ? (guint) g_rand_int_range (rand, 1, 400) : 0;
  child_spawn (&resume, sim, (const char *[]) { "resume", NULL });
  while (!resume.done)
    g_main_context_iteration (NULL, TRUE);
  totals->n_resumes++;
  if (child_check (&resume, resume_ok))
    totals->n_resumes_killed++;
  child_clear (&resume);

  g_test_message ("round %u: %u of %u generate processes killed", round, killed, N_TAKES);
}

static void
check_integrity (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  rc = sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_kill_batch (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *db_path = g_build_filename (data_dir, "history.db", NULL);
  g_autofree char *results = g_build_filename (data_dir, "results", NULL);
  g_autoptr(GHashTable) prompts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonArray) created = NULL;
  g_autoptr(JsonArray) history = NULL;
  g_autoptr(GDir) dir = NULL;
  g_auto(RelRun) last = { 0 };
  g_auto(RelRun) idle = { 0 };
  Totals totals = { 0 };
  RelSim *sim;
  guint n_created, n_known = 0, n_interrupted = 0, n_completed = 0, n_failed = 0;
  guint n_unsent = 0, n_files = 0;
  gint64 queries, downloads;
  gint64 started = g_get_monotonic_time ();
  const char *name;

  sim = rel_sim_start (clip, "--pending-ms", "150", "--processing-ms", "300", NULL);

  for (guint round = 0; round < n_rounds; round++)
    run_round (sim, rand, round, &totals);

  /* The last start-up runs to the end. */
  rel_cli (&last, sim, data_dir, "resume");
  g_assert_cmpint (last.status, >=, 0);
  g_assert_cmpint (last.status, <=, 1);

  /* Then nothing is left to follow or fetch: no query, no download. */
  queries = rel_sim_count (sim, "query");
  downloads = rel_sim_count (sim, "result-get");
  rel_cli (&idle, sim, data_dir, "resume");
  g_assert_cmpint (idle.status, ==, 0);
  g_assert_cmpint (rel_sim_count (sim, "query"), ==, queries);
  g_assert_cmpint (rel_sim_count (sim, "result-get"), ==, downloads);

  check_integrity (db_path);

  created = rel_sim_tasks (sim);
  history = rel_cli_list (data_dir);
  n_created = json_array_get_length (created);

  /* Every create request made a task, and no take was created twice. */
  g_assert_cmpint (rel_sim_count (sim, "create"), ==, n_created);
  for (guint i = 0; i < n_created; i++)
    {
      JsonObject *task = json_array_get_object_element (created, i);
      const char *prompt = rel_get_string (task, "prompt");

      if (!g_hash_table_add (prompts, (gpointer) prompt))
        g_error ("The take “%s” was created twice", prompt);
    }

  for (guint i = 0; i < n_created; i++)
    {
      JsonObject *task = json_array_get_object_element (created, i);
      const char *id = rel_get_string (task, "taskId");
      const char *state = rel_get_string (task, "state");
      JsonObject *take = rel_find (history, "taskId", id);

      if (take == NULL)
        {
          /* Unknown to the history: its take must be there, interrupted. */
          JsonObject *orphan = rel_find (history, "prompt", rel_get_string (task, "prompt"));

          if (orphan == NULL)
            g_error ("The service's task %s (“%s”) is lost: no take in the history", id,
                     rel_get_string (task, "prompt"));
          g_assert_cmpstr (rel_get_string (orphan, "state"), ==, "interrupted");
          g_assert_null (rel_get_string (orphan, "taskId"));
          continue;
        }

      n_known++;
      g_assert_cmpstr (rel_get_string (take, "prompt"), ==, rel_get_string (task, "prompt"));
      g_assert_cmpstr (rel_get_string (take, "state"), ==, state);

      if (g_str_equal (state, "completed"))
        {
          const char *file = rel_get_string (take, "localFile");
          g_autofree char *part = NULL;

          if (file == NULL)
            g_error ("The completed take %s has no video on disk", id);
          part = g_strconcat (file, ".part", NULL);
          g_assert_true (g_str_has_prefix (file, results));
          g_assert_cmpuint (rel_file_size (file), >, 0);
          g_assert_true (rel_files_equal (file, clip));
          g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
          n_completed++;
        }
      else
        {
          g_assert_cmpstr (state, ==, "failed");
          n_failed++;
        }
    }

  /* Every take of the history is final, and names no task the service
   * does not have. */
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *take = json_array_get_object_element (history, i);
      const char *state = rel_get_string (take, "state");
      const char *id = rel_get_string (take, "taskId");

      if (g_str_equal (state, "interrupted"))
        {
          g_assert_null (id);
          n_interrupted++;
          if (!g_hash_table_contains (prompts, rel_get_string (take, "prompt")))
            n_unsent++;
          continue;
        }

      g_assert_true (g_str_equal (state, "completed") || g_str_equal (state, "failed"));
      g_assert_nonnull (id);
      g_assert_nonnull (rel_find (created, "taskId", id));
    }

  /* No .part is left, and each file is the video of a completed take. */
  dir = g_dir_open (results, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (results, name, NULL);
      /* Files are named after the take's own uid. */
      g_autofree char *uid = g_strndup (name, strcspn (name, "."));
      JsonObject *take = rel_find (history, "localFile", path);

      if (g_str_has_suffix (name, ".part"))
        g_error ("%s is left over", path);
      /* The folder's one download lock file: empty, kept, its locks gone
       * with the processes that held them. */
      if (g_str_equal (name, ".clapboard-downloads.lock"))
        continue;
      if (take == NULL)
        {
          JsonObject *owner = rel_find (history, "uid", uid);
          const char *id = owner ? rel_get_string (owner, "taskId") : NULL;
          const char *file = owner ? rel_get_string (owner, "localFile") : NULL;
          JsonObject *task = id ? rel_find (created, "taskId", id) : NULL;

          g_error ("%s belongs to no take: the history has %s (%s, task %s, local file %s), "
                   "the service %s", path, uid,
                   owner ? rel_get_string (owner, "state") : "no such take",
                   id ? id : "-", file ? file : "-",
                   task ? rel_get_string (task, "state") : "no such task");
        }
      n_files++;
    }
  g_assert_cmpuint (n_files, ==, n_completed);

  g_assert_cmpuint (n_created - n_known, <=, n_interrupted);

  g_test_message ("seed %u: %u rounds in %.1f s; %u generate processes, %u killed with -9, "
                  "%u finished; %u resumes, %u killed", seed, n_rounds,
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC,
                  totals.n_started, totals.n_killed, totals.n_exited, totals.n_resumes,
                  totals.n_resumes_killed);
  g_test_message ("history: %u takes; service: %u created, %u known to the history "
                  "(%u completed, %u failed), %u unknown; %u interrupted (%u never sent); "
                  "0 lost, 0 created twice", json_array_get_length (history), n_created,
                  n_known, n_completed, n_failed, n_created - n_known, n_interrupted, n_unsent);

  /* These numbers, in the TAP output even when it is not verbose. */
  g_print ("# kill -9: %u rounds, %u processes, %u killed, %u resumes (%u killed); "
           "created %u, known %u, interrupted %u (%u never sent), lost 0\n",
           n_rounds, totals.n_started, totals.n_killed, totals.n_resumes,
           totals.n_resumes_killed, n_created, n_known, n_interrupted, n_unsent);

  rel_sim_stop (sim);
}

int
main (int   argc,
      char *argv[])
{
  const char *seed_text = g_getenv ("CLAPBOARD_KILL_SEED");
  const char *rounds_text = g_getenv ("CLAPBOARD_KILL_ROUNDS");
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_assert_nonnull (g_getenv ("CLAPBOARD_SIM"));

  seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10) : g_random_int ();
  if (rounds_text != NULL)
    n_rounds = MAX (1, (guint) g_ascii_strtoull (rounds_text, NULL, 10));
  g_print ("# kill -9 seed: %u (replay with CLAPBOARD_KILL_SEED=%u)\n", seed, seed);

  tmp_dir = g_dir_make_tmp ("clap-rel-kill-XXXXXX", NULL);
  data_dir = g_build_filename (tmp_dir, "data", NULL);
  clip = sim_make_clip (tmp_dir, "result.mp4", 1.0, 320, 180);

  g_test_add_func ("/reliability/kill-9/batches", test_kill_batch);

  status = g_test_run ();

  clap_test_rm_rf (tmp_dir);
  g_free (clip);
  g_free (data_dir);
  g_free (tmp_dir);
  return status;
}

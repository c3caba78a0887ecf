/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "clap-test-files.h"
#include "rel-util.h"
#include "sim-test-util.h"

/* Server faults as a person meets them: clapboard-cli against a
 * clapboard-sim process that answers 500, 429 with and without Retry-After,
 * garbage, cut-short bodies, slowly, or drops the connection, on create,
 * query and download, and result links that have expired. What is checked
 * is what a person sees: no crash, a clear message on stderr, the exit
 * code, retries that stop (counted by the simulator), and the take still in
 * `clapboard-cli list --json` in the right state, which a later `resume`
 * finishes when it can, without looping. The client-level cases of each
 * fault are in tests/core/test-client.c.
 */

/* The client's retry policy under CLAPBOARD_RETRY_BASE_MS: 5 attempts. */
#define MAX_ATTEMPTS 5

static RelSim *sim;
static char *tmp_dir;
static char *clip;

typedef struct {
  const char *fault;
  const char *says;      /* in stderr */
} Fault;

/* A history of its own for each case, so each list holds just its takes. */
static char *
data_dir_for (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static JsonObject *
take_of (JsonArray  *history,
         const char *prompt)
{
  JsonObject *take = rel_find (history, "prompt", prompt);

  if (take == NULL)
    g_error ("The take “%s” is not in the history", prompt);
  return take;
}

static char *
first_line (const char *text)
{
  return g_strndup (text, strcspn (text, "\n"));
}

/* Every stderr line is a sentence: none carries a missing value. */
static void
assert_clear (const RelRun *run)
{
  g_assert_null (strstr (run->err, "(null)"));
  g_assert_cmpuint (strlen (run->err), >, 0);
}

/* A create is never retried: 429 is a refusal (nothing made, nothing
 * charged), so the take fails and may be sent again by the person. */
static void
test_create_refused (void)
{
  static const Fault faults[] = {
    { "http-429", "too many requests" },
    { "http-429-no-retry-after", "too many requests" },
  };
  g_autofree char *dir = data_dir_for ("create-refused");

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Refused by %s", faults[i].fault);
      g_autoptr(JsonArray) history = NULL;
      g_autoptr(JsonArray) tasks = NULL;
      g_auto(RelRun) run = { 0 };
      gint64 creates = rel_sim_count (sim, "create");
      JsonObject *take;

      rel_sim_inject (sim, "create", faults[i].fault, 1);
      rel_cli (&run, sim, dir, "generate", "--prompt", prompt, "--wait");
      g_assert_cmpint (run.status, ==, 6);
      assert_clear (&run);
      rel_assert_contains (run.err, faults[i].says);
      g_assert_cmpint (rel_sim_count (sim, "create"), ==, creates + 1);

      history = rel_cli_list (dir);
      take = take_of (history, prompt);
      g_assert_cmpstr (rel_get_string (take, "state"), ==, "failed");
      g_assert_null (rel_get_string (take, "taskId"));
      rel_assert_contains (rel_get_string (take, "failMessage"), faults[i].says);

      tasks = rel_sim_tasks (sim);
      g_assert_null (rel_find (tasks, "prompt", prompt));
    }
}

/* Any other failure of a create may hide a task that was made and charged:
 * the take is "interrupted", never resent, by generate or by resume. */
static void
test_create_uncertain (void)
{
  static const struct {
    const char *fault;
    const char *says;
    gboolean    made;    /* the simulator carried the request out */
  } faults[] = {
    { "http-500", "internal error (HTTP 500)", FALSE },
    { "envelope-500", "internal error (HTTP 500)", FALSE },
    { "garbage", "could not be read", FALSE },
    { "html", "HTTP 502", FALSE },
    { "missing-data", "carries no data", FALSE },
    { "drop", "Could not reach the service", FALSE },
    { "truncated", "could not be read", TRUE },
    { "created-then-drop", "Could not reach the service", TRUE },
    { "slow", "did not answer in time", TRUE },
  };
  const char *env[] = { "CLAPBOARD_TIMEOUT_S", "1", NULL };
  g_autofree char *dir = data_dir_for ("create-uncertain");
  g_autoptr(JsonArray) history = NULL;
  g_autoptr(JsonArray) tasks = NULL;
  g_auto(RelRun) resume = { 0 };
  gint64 creates;

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Uncertain after %s", faults[i].fault);
      g_auto(RelRun) run = { 0 };

      creates = rel_sim_count (sim, "create");
      rel_sim_inject (sim, "create", faults[i].fault, 1);
      rel_cli_run (&run, sim, dir, env,
                   (const char *[]) { "generate", "--prompt", prompt, "--wait", NULL });
      g_assert_cmpint (run.status, ==, 11);
      assert_clear (&run);
      rel_assert_contains (run.err, "may have been created and charged");
      rel_assert_contains (run.err, faults[i].says);
      /* never "try again" beside "may have been charged" */
      g_assert_null (strstr (run.err, "Try again later"));
      g_assert_null (strstr (run.err, "Check the network connection"));
      /* once: never resent */
      g_assert_cmpint (rel_sim_count (sim, "create"), ==, creates + 1);
      g_assert_cmpstr (run.out, ==, "");
    }

  /* The start-up resends none of them either. */
  creates = rel_sim_count (sim, "create");
  rel_cli (&resume, sim, dir, "resume");
  g_assert_cmpint (resume.status, ==, 0);
  g_assert_cmpint (rel_sim_count (sim, "create"), ==, creates);
  rel_assert_contains (resume.err, "submission interrupted");

  history = rel_cli_list (dir);
  tasks = rel_sim_tasks (sim);
  g_assert_cmpuint (json_array_get_length (history), ==, G_N_ELEMENTS (faults));
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Uncertain after %s", faults[i].fault);
      JsonObject *take = take_of (history, prompt);

      g_assert_cmpstr (rel_get_string (take, "state"), ==, "interrupted");
      g_assert_null (rel_get_string (take, "taskId"));
      rel_assert_contains (rel_get_string (take, "failMessage"), "may have been created");
      /* the ones the service did make are exactly the ones it says it made */
      g_assert_cmpint (rel_find (tasks, "prompt", prompt) != NULL, ==, faults[i].made);
    }
}

static const Fault passing_faults[] = {
  { "http-500", NULL },
  { "envelope-500", NULL },
  { "http-429", NULL },
  { "http-429-no-retry-after", NULL },
  { "garbage", NULL },
  { "html", NULL },
  { "truncated", NULL },
  { "missing-data", NULL },
  { "drop", NULL },
  { "slow", NULL },
};

/* Queries are retried: two bad answers in a row cost a little time, no
 * more; the take completes and its clip is saved. */
static void
test_query_survived (void)
{
  const char *env[] = { "CLAPBOARD_TIMEOUT_S", "1", NULL };
  g_autofree char *dir = data_dir_for ("query-survived");

  for (guint i = 0; i < G_N_ELEMENTS (passing_faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Queries meet %s", passing_faults[i].fault);
      g_autofree char *id = NULL;
      g_autoptr(JsonArray) history = NULL;
      g_auto(RelRun) run = { 0 };
      gint64 queries = rel_sim_count (sim, "query");
      JsonObject *take;

      rel_sim_inject (sim, "query", passing_faults[i].fault, 2);
      rel_cli_run (&run, sim, dir, env,
                   (const char *[]) { "generate", "--prompt", prompt, "--wait", NULL });
      g_assert_cmpint (run.status, ==, 0);
      g_assert_null (strstr (run.err, "(null)"));
      id = first_line (run.out);
      rel_assert_contains (run.out, "/results/");

      /* the two faults, then a few polls: pending, processing, completed */
      g_assert_cmpint (rel_sim_count (sim, "query"), >=, queries + 3);
      g_assert_cmpint (rel_sim_count (sim, "query"), <=, queries + 2 + 12);

      history = rel_cli_list (dir);
      take = take_of (history, prompt);
      g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);
      g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
      g_assert_true (rel_files_equal (rel_get_string (take, "localFile"), clip));
    }
}

/* A service that keeps failing: the queries back off (bounded), --timeout
 * ends the wait with a message saying how to check later, the take stays
 * in the history, and resume follows it to the end once the service is
 * back. */
static void
test_query_outage (void)
{
  g_autofree char *dir = data_dir_for ("query-outage");
  g_autofree char *prompt = g_strdup ("Through an outage");
  g_autofree char *id = NULL;
  g_autoptr(JsonArray) during = NULL;
  g_autoptr(JsonArray) after = NULL;
  g_auto(RelRun) run = { 0 };
  g_auto(RelRun) resume = { 0 };
  gint64 queries = rel_sim_count (sim, "query");
  gint64 asked;
  JsonObject *take;

  rel_sim_inject (sim, "query", "http-500", 100000);
  rel_cli (&run, sim, dir, "generate", "--prompt", prompt, "--wait", "--timeout", "3");
  g_assert_cmpint (run.status, ==, 12);
  assert_clear (&run);
  id = first_line (run.out);
  rel_assert_contains (run.err, "goes on");
  rel_assert_contains (run.err, id);

  /* With 20 ms retries the client could ask hundreds of times in 3 s; the
   * backoff keeps it to a few dozen. */
  asked = rel_sim_count (sim, "query") - queries;
  g_test_message ("%" G_GINT64_FORMAT " queries in 3 s of outage", asked);
  g_assert_cmpint (asked, >=, 3);
  g_assert_cmpint (asked, <=, 80);

  during = rel_cli_list (dir);
  take = take_of (during, prompt);
  g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "pending");

  rel_sim_inject (sim, "query", "none", 0);
  rel_cli (&resume, sim, dir, "resume");
  g_assert_cmpint (resume.status, ==, 0);
  rel_assert_contains (resume.out, id);

  after = rel_cli_list (dir);
  take = take_of (after, prompt);
  g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
  g_assert_true (rel_files_equal (rel_get_string (take, "localFile"), clip));
}

/* Downloads are retried too, and what is saved is the clip itself: never
 * a page or a cut-short body. */
static void
test_download_survived (void)
{
  const char *env[] = { "CLAPBOARD_TIMEOUT_S", "1", NULL };
  g_autofree char *dir = data_dir_for ("download-survived");
  g_autofree char *results = g_build_filename (dir, "results", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (passing_faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Download meets %s", passing_faults[i].fault);
      g_autofree char *out = g_strdup_printf ("%s/out-%u.mp4", tmp_dir, i);
      g_autofree char *part = NULL;
      g_autoptr(JsonArray) history = NULL;
      g_auto(RelRun) run = { 0 };
      gint64 gets = rel_sim_count (sim, "result-get");
      JsonObject *take;

      rel_sim_inject (sim, "result-get", passing_faults[i].fault, 2);
      rel_cli_run (&run, sim, dir, env,
                   (const char *[]) { "generate", "--prompt", prompt, "--wait", "--output", out,
                                      NULL });
      g_assert_cmpint (run.status, ==, 0);
      g_assert_null (strstr (run.err, "(null)"));

      /* two faults, one good answer */
      g_assert_cmpint (rel_sim_count (sim, "result-get"), ==, gets + 3);
      g_assert_true (rel_files_equal (out, clip));

      history = rel_cli_list (dir);
      take = take_of (history, prompt);
      g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
      g_assert_true (rel_files_equal (rel_get_string (take, "localFile"), clip));
      part = g_strconcat (rel_get_string (take, "localFile"), ".part", NULL);
      g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
      g_assert_true (g_str_has_prefix (rel_get_string (take, "localFile"), results));
    }
}

/* A download that keeps failing: five attempts, then a clear message and
 * exit 6; the take stays completed, not downloaded, and resume fetches it
 * once the server answers again. */
static void
test_download_outage (void)
{
  static const Fault faults[] = {
    { "http-500", "internal error (HTTP 500)" },
    { "http-429-no-retry-after", "too many requests" },
    { "drop", "Could not reach the service" },
    { "garbage", "instead of the file" },
    { "truncated", "incomplete file" },
  };
  g_autofree char *dir = data_dir_for ("download-outage");

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Download outage: %s", faults[i].fault);
      g_autofree char *id = NULL;
      g_autoptr(JsonArray) during = NULL;
      g_autoptr(JsonArray) after = NULL;
      g_auto(RelRun) run = { 0 };
      g_auto(RelRun) resume = { 0 };
      gint64 gets = rel_sim_count (sim, "result-get");
      JsonObject *take;

      rel_sim_inject (sim, "result-get", faults[i].fault, 100000);
      rel_cli (&run, sim, dir, "generate", "--prompt", prompt, "--wait");
      g_assert_cmpint (run.status, ==, 6);
      assert_clear (&run);
      rel_assert_contains (run.err, faults[i].says);
      rel_assert_contains (run.err, "clapboard-cli resume");
      id = first_line (run.out);

      /* libsoup replays a GET dropped on a reused connection once, by itself */
      g_assert_cmpint (rel_sim_count (sim, "result-get"), >=, gets + MAX_ATTEMPTS);
      g_assert_cmpint (rel_sim_count (sim, "result-get"), <=, gets + 2 * MAX_ATTEMPTS);

      during = rel_cli_list (dir);
      take = take_of (during, prompt);
      g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);
      g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
      g_assert_null (rel_get_string (take, "localFile"));

      rel_sim_inject (sim, "result-get", "none", 0);
      rel_cli (&resume, sim, dir, "resume");
      g_assert_cmpint (resume.status, ==, 0);
      rel_assert_contains (resume.out, id);

      after = rel_cli_list (dir);
      take = take_of (after, prompt);
      g_assert_true (rel_files_equal (rel_get_string (take, "localFile"), clip));
    }
}

/* An expired or deleted result: said at once (exit 10), no retry, the take
 * kept as completed without a file; each later resume tries it once more,
 * says so, and ends. */
static void
test_expired (void)
{
  static const char *keywords[] = { "[sim:download=http-403]", "[sim:download=http-404]" };
  g_autofree char *dir = data_dir_for ("expired");

  for (guint i = 0; i < G_N_ELEMENTS (keywords); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("Too late %s", keywords[i]);
      g_autofree char *id = NULL;
      g_autoptr(JsonArray) history = NULL;
      g_autoptr(GDir) results = NULL;
      g_autofree char *results_dir = g_build_filename (dir, "results", NULL);
      g_auto(RelRun) run = { 0 };
      gint64 gets = rel_sim_count (sim, "result-get");
      JsonObject *take;
      const char *name;

      rel_cli (&run, sim, dir, "generate", "--prompt", prompt, "--wait");
      g_assert_cmpint (run.status, ==, 10);
      assert_clear (&run);
      rel_assert_contains (run.err, "expired");
      id = first_line (run.out);
      g_assert_cmpint (rel_sim_count (sim, "result-get"), ==, gets + 1);

      history = rel_cli_list (dir);
      take = take_of (history, prompt);
      g_assert_cmpstr (rel_get_string (take, "taskId"), ==, id);
      g_assert_cmpstr (rel_get_string (take, "state"), ==, "completed");
      g_assert_null (rel_get_string (take, "localFile"));

      /* nothing half-made is left in the results */
      results = g_dir_open (results_dir, 0, NULL);
      while (results != NULL && (name = g_dir_read_name (results)) != NULL)
        g_assert_false (g_str_has_prefix (name, id));

      for (guint attempt = 0; attempt < 2; attempt++)
        {
          g_auto(RelRun) resume = { 0 };

          gets = rel_sim_count (sim, "result-get");
          rel_cli (&resume, sim, dir, "resume");
          g_assert_cmpint (resume.status, ==, 1);
          rel_assert_contains (resume.err, id);
          rel_assert_contains (resume.err, "expired");
          g_assert_cmpfloat (resume.seconds, <, 10);
          g_assert_cmpint (rel_sim_count (sim, "result-get"), <=, gets + G_N_ELEMENTS (keywords));
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_assert_nonnull (g_getenv ("CLAPBOARD_SIM"));

  tmp_dir = g_dir_make_tmp ("clap-rel-faults-XXXXXX", NULL);
  clip = sim_make_clip (tmp_dir, "result.mp4", 1.0, 320, 180);
  sim = rel_sim_start (clip, "--pending-ms", "100", "--processing-ms", "200",
                       "--slow-ms", "2500", NULL);

  g_test_add_func ("/reliability/faults/create/refused", test_create_refused);
  g_test_add_func ("/reliability/faults/create/uncertain", test_create_uncertain);
  g_test_add_func ("/reliability/faults/query/survived", test_query_survived);
  g_test_add_func ("/reliability/faults/query/outage", test_query_outage);
  g_test_add_func ("/reliability/faults/download/survived", test_download_survived);
  g_test_add_func ("/reliability/faults/download/outage", test_download_outage);
  g_test_add_func ("/reliability/faults/download/expired", test_expired);

  status = g_test_run ();

  rel_sim_stop (g_steal_pointer (&sim));
  clap_test_rm_rf (tmp_dir);
  g_free (clip);
  g_free (tmp_dir);
  return status;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "clap-media.h"
#include "clap-test-files.h"

/* clapboard-cli as a script runs it: a child process against a
 * clapboard-sim child process, read through exit codes, stdout and stderr. */

#define KEY "cli-test-key-5f2a9c"

static char *sim_url;
static GSubprocess *sim;
static char *tmp_dir;
static char *data_dir;

typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static GSubprocessLauncher *
launcher_new (const char *key)
{
  GSubprocessLauncher *launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                               G_SUBPROCESS_FLAGS_STDIN_PIPE);

  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_BASE_URL", sim_url, TRUE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "CLAPBOARD_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "CLAPBOARD_API_KEY");
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_POLL_MS", "100", TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_RETRY_BASE_MS", "20", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_DATA_DIR", data_dir, TRUE);
  return launcher;
}

/* Starts clapboard-sim on a free port, as a user would, and reads its URL
 * from the first line it prints. */
static GSubprocess *
start_sim (const char  *processing_ms,
           char       **url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "Clapboard simulator listening on ";
  GSubprocess *child;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error, g_getenv ("CLAPBOARD_SIM"), "--port", "0", "--pending-ms", "100",
                            "--processing-ms", processing_ms, NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, prefix));
  *url = g_strdup (line + strlen (prefix));
  return child;
}

static void
stop_sim (GSubprocess *child)
{
  g_subprocess_send_signal (child, SIGTERM);
  g_assert_true (g_subprocess_wait (child, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (child));
  g_object_unref (child);
}

/* Runs clapboard-cli with @args (NULL-terminated) and @key. */
static void
run_cli_full (Run                *run,
              const char         *key,
              const char         *stdin_text,
              const char * const *extra_env,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (key);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, extra_env[i], extra_env[i + 1], TRUE);

  child = clap_test_spawn_cli (launcher, args);
  g_assert_true (g_subprocess_communicate_utf8 (child, stdin_text ? stdin_text : "", NULL,
                                                &run->out, &run->err, &error));
  g_assert_no_error (error);
  run->status = g_subprocess_get_if_exited (child) ? g_subprocess_get_exit_status (child) : -1;
  g_test_message ("clapboard-cli %s → %d\nstdout: %s\nstderr: %s",
                  args[0], run->status, run->out, run->err);
}

#define run_cli(run, key, ...) \
  run_cli_full (run, key, NULL, NULL, (const char *[]) { __VA_ARGS__, NULL })

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

/* The simulator's request counters, from GET /sim/stats. */
static gint64
sim_count (const char *endpoint)
{
  g_autofree char *url = g_strconcat (sim_url, "/sim/stats", NULL);
  g_autoptr(GFile) file = g_file_new_for_uri (url);
  g_autofree char *argv0 = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) curl = NULL;
  JsonObject *object;

  /* curl keeps this independent of the code under test */
  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "curl", "-s", url, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (curl, NULL, NULL, &out, NULL, &error));
  node = json_from_string (out, &error);
  g_assert_no_error (error);
  object = json_node_get_object (node);
  if (json_object_has_member (object, "data"))
    object = json_object_get_object_member (object, "data");
  if (json_object_has_member (object, "counts"))
    object = json_object_get_object_member (object, "counts");
  return json_object_get_int_member_with_default (object, endpoint, -1);
}

static void
inject (const char *endpoint,
        const char *fault,
        guint       count)
{
  g_autofree char *url = g_strconcat (sim_url, "/sim/faults", NULL);
  g_autofree char *body = g_strdup_printf ("{\"endpoint\":\"%s\",\"fault\":\"%s\",\"count\":%u}",
                                           endpoint, fault, count);
  g_autoptr(GSubprocess) curl = NULL;
  g_autoptr(GError) error = NULL;

  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "curl", "-sf", "-X", "POST",
                           "-H", "Content-Type: application/json", "-d", body, url, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (curl, NULL, &error));
}

static void
test_cost (void)
{
  g_auto(Run) a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, f = { 0 };

  run_cli (&a, NULL, "cost", "--model", "kling-v3", "--mode", "pro", "--duration", "10", "--audio");
  g_assert_cmpint (a.status, ==, 0);
  g_assert_cmpstr (a.out, ==, "$1.2800\n");

  run_cli (&b, NULL, "cost", "--model", "kling-v2-6", "--mode", "pro", "--duration", "10",
           "--audio", "--voice", "v1", "--prompt", "He <<<voice_1>>> says hi");
  g_assert_cmpint (b.status, ==, 0);
  g_assert_cmpstr (b.out, ==, "$0.1275\n");

  /* audio on std is not sold for 2.6: a rule, exit 3 */
  run_cli (&c, NULL, "cost", "--model", "kling-v2-6", "--audio");
  g_assert_cmpint (c.status, ==, 3);
  assert_contains (c.err, "Professional");

  /* a flag the model does not take: usage, exit 2 */
  run_cli (&d, NULL, "cost", "--model", "kling-motion-control", "--aspect-ratio", "1:1");
  g_assert_cmpint (d.status, ==, 2);
  assert_contains (d.err, "--aspect-ratio");

  run_cli (&e, NULL, "cost", "--model", "kling-motion-control", "--motion-video",
           "https://example.com/m.mp4", "--motion-seconds", "12", "--version", "3.0", "--mode", "pro",
           "--image", "https://example.com/c.png");
  g_assert_cmpint (e.status, ==, 0);
  g_assert_cmpstr (e.out, ==, "$1.8000\n");

  run_cli (&f, NULL, "cost", "--model", "kling-v9");
  g_assert_cmpint (f.status, ==, 2);
}

static void
test_generate_wait_output (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "dawn.mp4", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (out);
  g_autoptr(GError) error = NULL;
  g_auto(Run) run = { 0 };
  g_auto(Run) again = { 0 };
  g_auto(Run) forced = { 0 };
  ClapMediaInfo info;

  run_cli (&run, KEY, "generate", "--model", "kling-v3", "--prompt", "A lighthouse at dawn",
           "--duration", "4", "--aspect-ratio", "9:16", "--wait", "--output", out);
  g_assert_cmpint (run.status, ==, 0);
  /* stdout: the task id, then the saved file */
  g_assert_true (g_str_has_prefix (run.out, "cl"));
  assert_contains (run.out, out);
  assert_contains (run.err, "$0.2532");
  assert_contains (run.err, "Completed");

  g_assert_true (clap_media_probe_file (file, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (info.duration, 4.0, 0.35);
  g_assert_cmpuint (info.height, >, info.width);

  /* the file exists now: kept unless --force */
  run_cli (&again, KEY, "generate", "--prompt", "again", "--wait", "--output", out);
  g_assert_cmpint (again.status, ==, 9);
  assert_contains (again.err, "--force");

  run_cli (&forced, KEY, "generate", "--prompt", "again", "--wait", "--output", out, "--force");
  g_assert_cmpint (forced.status, ==, 0);
}

static void
test_status_and_download (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "later.mp4", NULL);
  g_auto(Run) gen = { 0 }, status = { 0 }, json = { 0 }, dl = { 0 }, unknown = { 0 };
  g_autofree char *task_id = NULL;

  run_cli (&gen, KEY, "generate", "--prompt", "A paper boat", "--wait");
  g_assert_cmpint (gen.status, ==, 0);
  task_id = g_strndup (gen.out, strcspn (gen.out, "\n"));
  /* then the result URL */
  assert_contains (gen.out, "/results/");

  run_cli (&status, KEY, "status", task_id);
  g_assert_cmpint (status.status, ==, 0);
  assert_contains (status.out, "state: completed");
  assert_contains (status.out, "url: ");

  run_cli (&json, KEY, "status", "--json", task_id);
  g_assert_cmpint (json.status, ==, 0);
  assert_contains (json.out, "\"state\" : \"completed\"");

  run_cli (&dl, KEY, "download", task_id, "--output", out);
  g_assert_cmpint (dl.status, ==, 0);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));

  run_cli (&unknown, KEY, "status", "cl-unknown-task");
  g_assert_cmpint (unknown.status, ==, 8);
}

static void
test_failures (void)
{
  g_auto(Run) failed = { 0 }, nokey = { 0 }, badkey = { 0 }, poor = { 0 }, invalid = { 0 };
  g_autoptr(GString) long_prompt = g_string_new (NULL);
  gint64 creates;

  run_cli (&failed, KEY, "generate", "--prompt", "forbidden [sim:fail]", "--wait");
  g_assert_cmpint (failed.status, ==, 7);
  assert_contains (failed.err, "Content policy violation");

  run_cli (&nokey, NULL, "generate", "--prompt", "x");
  g_assert_cmpint (nokey.status, ==, 4);
  assert_contains (nokey.err, "CLAPBOARD_API_KEY");

  run_cli (&badkey, "sim-unauthorized", "generate", "--prompt", "x");
  g_assert_cmpint (badkey.status, ==, 4);

  run_cli (&poor, "sim-no-balance", "generate", "--prompt", "x");
  g_assert_cmpint (poor.status, ==, 5);
  assert_contains (poor.err, "balance");

  /* a prompt of 2501 characters costs nothing: no create is sent */
  creates = sim_count ("create");
  for (guint i = 0; i < 2501; i++)
    g_string_append_c (long_prompt, 'a');
  run_cli (&invalid, KEY, "generate", "--prompt", long_prompt->str);
  g_assert_cmpint (invalid.status, ==, 3);
  assert_contains (invalid.err, "2501");
  g_assert_cmpint (sim_count ("create"), ==, creates);
}

static void
test_inputs (void)
{
  g_autoptr(GBytes) png = clap_test_make_png (640, 360, 4000);
  g_autoptr(GBytes) tiny = clap_test_make_png (1, 1, 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("just text\n", 10);
  g_autoptr(GBytes) short_video = clap_test_make_mp4 ("isom", 1000, 2000, 640, 480, TRUE, FALSE);
  g_autofree char *png_path = clap_test_write (tmp_dir, "first.png", png);
  g_autofree char *tiny_path = clap_test_write (tmp_dir, "tiny.png", tiny);
  g_autofree char *text_path = clap_test_write (tmp_dir, "renamed.png", text);
  g_autofree char *video_path = clap_test_write (tmp_dir, "short.mp4", short_video);
  g_auto(Run) ok = { 0 }, small = { 0 }, renamed = { 0 }, brief = { 0 }, missing = { 0 };
  gint64 uploads = sim_count ("files");
  gint64 creates;

  run_cli (&ok, KEY, "generate", "--model", "kling-v2-6", "--prompt", "From the first frame",
           "--image", png_path);
  g_assert_cmpint (ok.status, ==, 0);
  g_assert_cmpint (sim_count ("files"), ==, uploads + 1);
  g_assert_cmpint (sim_count ("upload-put"), >=, 1);

  /* refused before any upload or create */
  creates = sim_count ("create");
  uploads = sim_count ("files");

  run_cli (&small, KEY, "generate", "--prompt", "x", "--image", tiny_path);
  g_assert_cmpint (small.status, ==, 3);
  assert_contains (small.err, "1 × 1");

  run_cli (&renamed, KEY, "generate", "--prompt", "x", "--image", text_path);
  g_assert_cmpint (renamed.status, ==, 3);
  assert_contains (renamed.err, "not a PNG or JPEG");

  run_cli (&brief, KEY, "generate", "--model", "kling-motion-control", "--image", png_path,
           "--motion-video", video_path);
  g_assert_cmpint (brief.status, ==, 3);
  assert_contains (brief.err, "2.0 s");

  run_cli (&missing, KEY, "generate", "--prompt", "x", "--image", "/nonexistent/gone.png");
  g_assert_cmpint (missing.status, ==, 3);
  assert_contains (missing.err, "does not exist");

  g_assert_cmpint (sim_count ("files"), ==, uploads);
  g_assert_cmpint (sim_count ("create"), ==, creates);
}

static void
test_create_uncertain (void)
{
  g_auto(Run) dropped = { 0 }, busy = { 0 };
  gint64 creates = sim_count ("create");

  /* the task is made, then the connection dropped: never resent */
  inject ("create", "created-then-drop", 1);
  run_cli (&dropped, KEY, "generate", "--prompt", "was I charged?");
  g_assert_cmpint (dropped.status, ==, 11);
  assert_contains (dropped.err, "may have");
  g_assert_cmpint (sim_count ("create"), ==, creates + 1);

  /* 429: refused, not created: exit 6, "try again" */
  inject ("create", "http-429", 1);
  run_cli (&busy, KEY, "generate", "--prompt", "busy");
  g_assert_cmpint (busy.status, ==, 6);
  g_assert_cmpint (sim_count ("create"), ==, creates + 2);
}

static void
test_query_faults_survived (void)
{
  g_auto(Run) run = { 0 };

  run_cli (&run, KEY, "generate", "--prompt", "bumpy road [sim:query=http-500*2]", "--wait");
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "/results/");
}

static void
test_key_never_printed (void)
{
  const char *env[] = { "G_MESSAGES_DEBUG", "all", NULL };
  g_auto(Run) run = { 0 };
  g_autofree char *out = g_build_filename (tmp_dir, "debug.mp4", NULL);

  run_cli_full (&run, KEY, NULL, env,
                (const char *[]) { "generate", "--prompt", "debug me", "--wait", "--output", out,
                                   NULL });
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.err, "[redacted]");
  g_assert_null (strstr (run.err, KEY));
  g_assert_null (strstr (run.out, KEY));
}

static void
test_prompt_from_stdin (void)
{
  g_auto(Run) run = { 0 };

  run_cli_full (&run, KEY, "A prompt from a pipe\n", NULL,
                (const char *[]) { "generate", "--prompt", "-", NULL });
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "cl"));
}

static void
test_timeout_and_interrupt (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *slow_url = NULL;
  GSubprocess *slow_sim = start_sim ("60000", &slow_url);
  char *fast_url = sim_url;

  /* a simulator whose takes need a minute, with its own history */
  char *fast_data = data_dir;
  g_autofree char *slow_data = g_build_filename (tmp_dir, "slow-data", NULL);

  sim_url = slow_url;
  data_dir = slow_data;
  launcher = launcher_new (KEY);

  run_cli (&run, KEY, "generate", "--prompt", "slow", "--wait", "--timeout", "1");
  g_assert_cmpint (run.status, ==, 12);
  assert_contains (run.err, "clapboard-cli status");

  child = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CLAPBOARD_CLI"), "generate",
                                       "--prompt", "interrupt me", "--wait", NULL);
  g_assert_no_error (error);
  g_usleep (1500 * 1000);
  g_subprocess_send_signal (child, SIGINT);
  g_assert_true (g_subprocess_communicate_utf8 (child, NULL, NULL, NULL, &err, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 130);
  assert_contains (err, "goes on");

  sim_url = fast_url;
  data_dir = fast_data;
  stop_sim (slow_sim);
}

static void
test_list_and_resume (void)
{
  g_auto(Run) gen = { 0 }, list = { 0 }, json = { 0 }, resume = { 0 }, again = { 0 };
  g_autofree char *task_id = NULL;
  g_autofree char *results = g_build_filename (data_dir, "results", NULL);

  /* submitted, not waited for: the history has it pending */
  run_cli (&gen, KEY, "generate", "--model", "kling-v3", "--duration", "3",
           "--prompt", "Left for later\twith a tab");
  g_assert_cmpint (gen.status, ==, 0);
  task_id = g_strndup (gen.out, strcspn (gen.out, "\n"));

  run_cli (&list, NULL, "list", "--limit", "1");
  g_assert_cmpint (list.status, ==, 0);
  assert_contains (list.out, task_id);
  assert_contains (list.out, "\tkling-v3\tLeft for later with a tab\t-\n");

  /* resume follows it to the end and downloads it, like the window at start-up */
  run_cli (&resume, KEY, "resume");
  g_assert_cmpint (resume.status, ==, 0);
  assert_contains (resume.out, task_id);
  assert_contains (resume.out, results);

  run_cli (&json, NULL, "list", "--json");
  g_assert_cmpint (json.status, ==, 0);
  assert_contains (json.out, "\"state\" : \"completed\"");

  /* nothing left: resume has nothing to do */
  run_cli (&again, KEY, "resume");
  g_assert_cmpint (again.status, ==, 0);
}

static void
test_usage (void)
{
  g_auto(Run) a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

  run_cli (&a, NULL, "--help");
  g_assert_cmpint (a.status, ==, 0);
  assert_contains (a.out, "Exit codes");

  run_cli (&b, NULL, "frobnicate");
  g_assert_cmpint (b.status, ==, 2);

  run_cli (&c, KEY, "download", "cl1");
  g_assert_cmpint (c.status, ==, 2);
  assert_contains (c.err, "--output");

  run_cli (&d, KEY, "generate", "--prompt", "x", "--output", "x.mp4");
  g_assert_cmpint (d.status, ==, 2);
  assert_contains (d.err, "--wait");
}

/* A person's own catalogue corrects the built-in one without a rebuild;
 * one that cannot be used is named, entry and all, and changes nothing. */
static void
test_catalog_override (void)
{
  g_autofree char *good = g_build_filename (tmp_dir, "catalog-good.json", NULL);
  g_autofree char *bad = g_build_filename (tmp_dir, "catalog-bad.json", NULL);
  const char *good_env[] = { "CLAPBOARD_CATALOG", good, NULL };
  const char *bad_env[] = { "CLAPBOARD_CATALOG", bad, NULL };
  const char *args[] = { "cost", "--model", "kling-v3", "--duration", "10", NULL };
  g_auto(Run) builtin = { 0 }, corrected = { 0 }, refused = { 0 };

  g_assert_true (g_file_set_contents (good,
    "{\"models\": [{\"id\": \"kling-v3\", \"prices\": ["
    "{\"mode\": \"std\", \"usd_per_second\": 0.07},"
    "{\"mode\": \"std\", \"sound\": true, \"usd_per_second\": 0.1},"
    "{\"mode\": \"pro\", \"usd_per_second\": 0.09},"
    "{\"mode\": \"pro\", \"sound\": true, \"usd_per_second\": 0.13}]}]}", -1, NULL));
  g_assert_true (g_file_set_contents (bad,
    "{\"models\": [{\"id\": \"kling-v3\", \"options\": [{\"name\": \"mode\", \"wire\": 5}]}]}",
    -1, NULL));

  run_cli_full (&builtin, NULL, NULL, NULL, args);
  g_assert_cmpint (builtin.status, ==, 0);
  g_assert_cmpstr (builtin.out, ==, "$0.6330\n");

  run_cli_full (&corrected, NULL, NULL, good_env, args);
  g_assert_cmpint (corrected.status, ==, 0);
  g_assert_cmpstr (corrected.out, ==, "$0.7000\n");
  g_assert_null (strstr (corrected.err, "warning"));

  run_cli_full (&refused, NULL, NULL, bad_env, args);
  g_assert_cmpint (refused.status, ==, 0);
  g_assert_cmpstr (refused.out, ==, "$0.6330\n");
  assert_contains (refused.err, "warning");
  assert_contains (refused.err, "catalog-bad.json");
  assert_contains (refused.err, "options[“mode”].wire");
}

/* A link the provider could not fetch is refused before anything is spent. */
static void
test_private_links (void)
{
  g_auto(Run) loopback = { 0 }, lan = { 0 }, public = { 0 };

  /* The real service cannot reach this computer's or a home network's links. */
  run_cli (&lan, NULL, "--base-url", "https://apimodels.app", "cost", "--image",
           "https://192.168.1.20/cat.png");
  g_assert_cmpint (lan.status, ==, 3);
  assert_contains (lan.err, "192.168.1.20");
  assert_contains (lan.err, "private or local");

  run_cli (&loopback, NULL, "--base-url", "https://apimodels.app", "cost", "--image",
           "https://localhost/cat.png");
  g_assert_cmpint (loopback.status, ==, 3);

  run_cli (&public, NULL, "--base-url", "https://apimodels.app", "cost", "--image",
           "https://example.com/cat.png");
  g_assert_cmpint (public.status, ==, 0);
}

static void
set_dialect (const char *dialect)
{
  g_autofree char *url = g_strconcat (sim_url, "/sim/dialect", NULL);
  g_autofree char *body = g_strdup_printf ("{\"dialect\":\"%s\"}", dialect);
  g_autoptr(GSubprocess) curl = NULL;
  g_autoptr(GError) error = NULL;

  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "curl", "-sf", "-X", "POST",
                           "-H", "Content-Type: application/json", "-d", body, url, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (curl, NULL, &error));
}

/* The provider answers in several shapes: a take in each, from the command
 * line, is followed to its clip; a failure's reason is read in each. */
static void
test_dialects (void)
{
  const char *dialects[] = { "gateway", "kling-native", "seed" };

  for (guint i = 0; i < G_N_ELEMENTS (dialects); i++)
    {
      g_autofree char *out = g_build_filename (tmp_dir, "dialect.mp4", NULL);
      g_autofree char *prompt = g_strdup_printf ("A lighthouse, answered in %s", dialects[i]);
      g_autofree char *failing = g_strdup_printf ("Refused in %s [sim:fail=Too dark]",
                                                  dialects[i]);
      g_auto(Run) run = { 0 }, failed = { 0 };

      g_test_message ("dialect %s", dialects[i]);
      set_dialect (dialects[i]);
      run_cli (&run, KEY, "generate", "--model", "kling-v3", "--duration", "3", "--prompt", prompt,
               "--wait", "--output", out, "--force");
      g_assert_cmpint (run.status, ==, 0);
      g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
      g_unlink (out);

      run_cli (&failed, KEY, "generate", "--model", "kling-v3", "--duration", "3", "--prompt",
               failing, "--wait");
      g_assert_cmpint (failed.status, ==, 7);
      assert_contains (failed.err, "Too dark");
    }
}

/* inspect: what was sent and answered for a take, from the history, the
 * key nowhere. */
static void
test_inspect (void)
{
  g_auto(Run) gen = { 0 }, json = { 0 }, text = { 0 }, unknown = { 0 };
  g_autofree char *task_id = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *take, *first;
  JsonArray *exchanges;

  run_cli (&gen, KEY, "generate", "--model", "kling-v3", "--duration", "3", "--prompt",
           "Inspected afterwards", "--wait");
  g_assert_cmpint (gen.status, ==, 0);
  task_id = g_strndup (gen.out, strcspn (gen.out, "\n"));

  run_cli (&json, NULL, "inspect", task_id);
  g_assert_cmpint (json.status, ==, 0);
  g_assert_null (strstr (json.out, KEY));
  node = json_from_string (json.out, NULL);
  g_assert_nonnull (node);
  take = json_array_get_object_element (json_node_get_array (node), 0);
  g_assert_cmpstr (json_object_get_string_member (take, "taskId"), ==, task_id);
  exchanges = json_object_get_array_member (take, "exchanges");
  g_assert_cmpuint (json_array_get_length (exchanges), >=, 2);
  first = json_object_get_object_member (json_array_get_object_element (exchanges, 0), "exchange");
  g_assert_cmpstr (json_object_get_string_member (first, "method"), ==, "POST");
  assert_contains (json_object_get_string_member (first, "requestBody"), "Inspected afterwards");
  assert_contains (json_object_get_string_member (first, "responseBody"), task_id);
  g_assert_cmpint (json_object_get_int_member (first, "status"), ==, 200);

  run_cli (&text, NULL, "inspect", "--text", task_id);
  g_assert_cmpint (text.status, ==, 0);
  assert_contains (text.out, "POST ");
  assert_contains (text.out, "Bearer [redacted]");
  assert_contains (text.out, "\"prompt\" : \"Inspected afterwards\"");
  g_assert_null (strstr (text.out, KEY));

  run_cli (&unknown, NULL, "inspect", "cl-no-such-task");
  g_assert_cmpint (unknown.status, ==, 8);
}

/* check: the address and the key, and nothing spent. */
static void
test_check (void)
{
  g_auto(Run) ok = { 0 }, json = { 0 }, rejected = { 0 }, nokey = { 0 }, unreachable = { 0 };
  const char *dead_env[] = { "CLAPBOARD_BASE_URL", "http://127.0.0.1:1", NULL };
  const char *check[] = { "check", NULL };
  gint64 creates = sim_count ("create");
  g_autoptr(JsonNode) node = NULL;

  run_cli (&ok, KEY, "check");
  g_assert_cmpint (ok.status, ==, 0);
  assert_contains (ok.out, "accepts the key");
  assert_contains (ok.out, sim_url);

  run_cli (&json, KEY, "check", "--json");
  g_assert_cmpint (json.status, ==, 0);
  node = json_from_string (json.out, NULL);
  g_assert_nonnull (node);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (node), "keyAccepted"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "httpStatus"), ==, 404);

  run_cli (&rejected, "sim-unauthorized", "check");
  g_assert_cmpint (rejected.status, ==, 4);
  assert_contains (rejected.err, "rejected");

  run_cli (&nokey, NULL, "check");
  g_assert_cmpint (nokey.status, ==, 4);

  run_cli_full (&unreachable, KEY, NULL, dead_env, check);
  g_assert_cmpint (unreachable.status, ==, 6);

  g_assert_cmpint (sim_count ("create"), ==, creates);
}

/* Negative seconds are a typo, named as typed: not "4294967295", and not
 * silently ignored. Nothing is sent. */
static void
test_negative_seconds (void)
{
  g_auto(Run) duration = { 0 }, timeout = { 0 }, motion = { 0 };
  gint64 creates = sim_count ("create");

  run_cli (&duration, KEY, "generate", "--prompt", "x", "--duration", "-5");
  g_assert_cmpint (duration.status, ==, 2);
  assert_contains (duration.err, "“-5”");
  g_assert_null (strstr (duration.err, "4294967295"));

  run_cli (&timeout, KEY, "generate", "--prompt", "x", "--wait", "--timeout", "-5");
  g_assert_cmpint (timeout.status, ==, 2);
  assert_contains (timeout.err, "--timeout");
  assert_contains (timeout.err, "“-5”");

  run_cli (&motion, NULL, "cost", "--model", "kling-motion-control", "--motion-video",
           "https://example.com/m.mp4", "--motion-seconds", "-3",
           "--image", "https://example.com/c.png");
  g_assert_cmpint (motion.status, ==, 2);
  assert_contains (motion.err, "--motion-seconds");

  g_assert_cmpint (sim_count ("create"), ==, creates);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_assert_nonnull (g_getenv ("CLAPBOARD_CLI"));
  g_assert_nonnull (g_getenv ("CLAPBOARD_SIM"));
  tmp_dir = g_dir_make_tmp ("clap-cli-XXXXXX", NULL);
  data_dir = g_build_filename (tmp_dir, "data", NULL);
  sim = start_sim ("400", &sim_url);

  g_test_add_func ("/cli/cost", test_cost);
  g_test_add_func ("/cli/generate/wait-output", test_generate_wait_output);
  g_test_add_func ("/cli/generate/stdin", test_prompt_from_stdin);
  g_test_add_func ("/cli/status-and-download", test_status_and_download);
  g_test_add_func ("/cli/failures", test_failures);
  g_test_add_func ("/cli/inputs", test_inputs);
  g_test_add_func ("/cli/create-uncertain", test_create_uncertain);
  g_test_add_func ("/cli/query-faults-survived", test_query_faults_survived);
  g_test_add_func ("/cli/key-never-printed", test_key_never_printed);
  g_test_add_func ("/cli/timeout-and-interrupt", test_timeout_and_interrupt);
  g_test_add_func ("/cli/usage", test_usage);
  g_test_add_func ("/cli/usage/negative-seconds", test_negative_seconds);
  g_test_add_func ("/cli/catalog-override", test_catalog_override);
  g_test_add_func ("/cli/private-links", test_private_links);
  g_test_add_func ("/cli/check", test_check);
  g_test_add_func ("/cli/inspect", test_inspect);
  g_test_add_func ("/cli/dialects", test_dialects);
  g_test_add_func ("/cli/list-and-resume", test_list_and_resume);

  status = g_test_run ();

  stop_sim (g_steal_pointer (&sim));
  clap_test_rm_rf (tmp_dir);
  return status;
}

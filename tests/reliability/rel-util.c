/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clap-test-files.h"
#include "rel-util.h"

/* clapboard-cli and clapboard-sim as child processes, as a person or a
 * script runs them. The simulator is driven over plain HTTP with a
 * SoupSession of its own: nothing of the code under test is involved. */

struct _RelSim
{
  GSubprocess *process;
  char        *url;
  char        *log_path;
  SoupSession *session;
};

/* A simulator outlives no failed test: it gets SIGTERM when the test dies. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts clapboard-sim on a free port with @result_file as every take's
 * video (NULL: rendered) and the options that follow, NULL-terminated. */
RelSim *
rel_sim_start (const char *result_file,
               const char *first_option,
               ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *log_name = NULL;
  const char *prefix = "Clapboard simulator listening on ";
  RelSim *sim = g_new0 (RelSim, 1);
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAPBOARD_SIM"));
  g_ptr_array_add (argv, "--port");
  g_ptr_array_add (argv, "0");
  if (result_file != NULL)
    {
      g_ptr_array_add (argv, "--result-file");
      g_ptr_array_add (argv, (gpointer) result_file);
    }
  va_start (args, first_option);
  for (const char *option = first_option; option != NULL; option = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) option);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* Its request log, one line per answer, for the tests to read. */
  log_name = g_strdup_printf ("clap-rel-sim-%d-XXXXXX.log", (int) getpid ());
  close (g_file_open_tmp (log_name, &sim->log_path, &error));
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, sim->log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sim->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  sim->url = g_strdup (line + strlen (prefix));

  sim->session = soup_session_new_with_options ("timeout", 30, NULL);
  return sim;
}

void
rel_sim_stop (RelSim *sim)
{
  g_subprocess_send_signal (sim->process, SIGTERM);
  g_assert_true (g_subprocess_wait (sim->process, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (sim->process));
  g_assert_cmpint (g_subprocess_get_exit_status (sim->process), ==, 0);

  g_unlink (sim->log_path);
  g_clear_object (&sim->process);
  g_clear_object (&sim->session);
  g_free (sim->url);
  g_free (sim->log_path);
  g_free (sim);
}

const char *
rel_sim_get_url (RelSim *sim)
{
  return sim->url;
}

/* Sends @signum to the simulator: SIGSTOP holds every answer it owes,
 * exactly where it is, until SIGCONT. */
void
rel_sim_signal (RelSim *sim,
                int     signum)
{
  g_subprocess_send_signal (sim->process, signum);
}

/* Sends a control request and returns the envelope's data. */
static JsonObject *
control (RelSim     *sim,
         const char *method,
         const char *path,
         const char *body)
{
  g_autofree char *url = g_strconcat (sim->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  reply = soup_session_send_and_read (sim->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);

  root = json_from_string (g_bytes_get_data (reply, NULL), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  object = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, 200);
  return json_object_ref (json_object_get_object_member (object, "data"));
}

/* How many requests an endpoint ("create", "query", "result-get"…) got. */
gint64
rel_sim_count (RelSim     *sim,
               const char *endpoint)
{
  g_autoptr(JsonObject) data = control (sim, "GET", "/sim/stats", NULL);

  g_assert_true (json_object_has_member (data, endpoint));
  return json_object_get_int_member (data, endpoint);
}

void
rel_sim_inject (RelSim     *sim,
                const char *endpoint,
                const char *fault,
                guint       count)
{
  g_autofree char *body = g_strdup_printf ("{\"endpoint\":\"%s\",\"fault\":\"%s\",\"count\":%u}",
                                           endpoint, fault, count);
  g_autoptr(JsonObject) data = control (sim, "POST", "/sim/faults", body);

  g_assert_cmpstr (json_object_get_string_member (data, "fault"), ==, fault);
}

/* Every task the simulator created: taskId, state, model, prompt. */
JsonArray *
rel_sim_tasks (RelSim *sim)
{
  g_autoptr(JsonObject) data = control (sim, "GET", "/sim/tasks", NULL);

  return json_array_ref (json_object_get_array_member (data, "tasks"));
}

/* What the simulator logged so far: "HH:MM:SS METHOD PATH -> STATUS". */
char *
rel_sim_log (RelSim *sim)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (sim->log_path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

void
rel_run_clear (RelRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

GSubprocessLauncher *
rel_cli_launcher (RelSim           *sim,
                  const char       *data_dir,
                  GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  /* Without a simulator, the caller names the service. */
  if (sim != NULL)
    g_subprocess_launcher_setenv (launcher, "CLAPBOARD_BASE_URL", sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_API_KEY", REL_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_DATA_DIR", data_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_POLL_MS", "50", TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_RETRY_BASE_MS", "20", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "CLAPBOARD_TIMEOUT_S");
  return launcher;
}

/* Runs clapboard-cli @args (NULL-terminated) with @launcher, feeding it
 * nothing on stdin, and collects its exit, stdout and stderr. */
void
rel_cli_run_full (RelRun              *run,
                  GSubprocessLauncher *launcher,
                  const char * const  *args)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *shown = NULL;
  gint64 started = g_get_monotonic_time ();

  child = clap_test_spawn_cli (launcher, args);
  g_assert_true (g_subprocess_communicate_utf8 (child, "", NULL, &run->out, &run->err, &error));
  g_assert_no_error (error);

  run->seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  run->status = g_subprocess_get_if_exited (child) ? g_subprocess_get_exit_status (child) : -1;

  /* Cut by characters: a cut UTF-8 sequence would break the TAP output. */
  joined = g_strjoinv (" ", (char **) args);
  if (!g_utf8_validate (joined, -1, NULL))
    shown = g_utf8_make_valid (joined, -1);
  else if (g_utf8_strlen (joined, -1) > 60)
    shown = g_utf8_substring (joined, 0, 60);
  else
    shown = g_strdup (joined);
  g_test_message ("clapboard-cli %s -> %d in %.2f s\nstdout: %s\nstderr: %s", shown,
                  run->status, run->seconds, run->out, run->err);
}

/* Runs clapboard-cli @args with the usual environment, plus @env (pairs of
 * name and value, NULL-terminated; a NULL value unsets the name). */
void
rel_cli_run (RelRun             *run,
             RelSim             *sim,
             const char         *data_dir,
             const char * const *env,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    rel_cli_launcher (sim, data_dir, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE);

  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    {
      if (env[i + 1] != NULL)
        g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, env[i]);
    }

  rel_cli_run_full (run, launcher, args);
}

/* The history of @data_dir as `clapboard-cli list --json` prints it. It
 * needs no key and no network: the simulator's address is irrelevant. */
JsonArray *
rel_cli_list (const char *data_dir)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(RelRun) run = { 0 };

  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_DATA_DIR", data_dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "CLAPBOARD_API_KEY");
  rel_cli_run_full (&run, launcher, (const char *[]) { "list", "--json", NULL });
  g_assert_cmpint (run.status, ==, 0);

  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  return json_array_ref (json_node_get_array (root));
}

/* The first object of @array whose string @member is @value. */
JsonObject *
rel_find (JsonArray  *array,
          const char *member,
          const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (rel_get_string (object, member), value) == 0)
        return object;
    }
  return NULL;
}

/* A string member, NULL when it is null or absent. */
const char *
rel_get_string (JsonObject *object,
                const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_node_get_string (node);
}

void
rel_assert_contains (const char *haystack,
                     const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

gboolean
rel_files_equal (const char *a,
                 const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  if (!g_file_get_contents (a, &da, &la, NULL) || !g_file_get_contents (b, &db, &lb, NULL))
    return FALSE;
  return la == lb && memcmp (da, db, la) == 0;
}

/* The size of @path, 0 when it does not exist. */
guint64
rel_file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return 0;
  return (guint64) st.st_size;
}

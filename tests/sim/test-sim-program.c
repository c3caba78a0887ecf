/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sim-program"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* The program under test; meson passes the built one, the environment may
 * name another. */
static const char *
program_path (void)
{
  const char *path = g_getenv ("CLAPBOARD_SIM_PROGRAM");

  return path != NULL ? path : CLAPBOARD_SIM_PROGRAM;
}

static GSubprocess *
spawn (GError     **error,
       const char  *first_arg,
       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *)program_path ());
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  return g_subprocess_newv ((const char * const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            error);
}

static SoupMessage *
send (SoupSession  *session,
      const char   *method,
      const char   *url,
      const char   *key,
      const char   *body,
      GBytes      **response)
{
  SoupMessage *msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;

  if (key != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  /* The simulator is another process: a blocking call is fine here. */
  *response = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  return msg;
}

static void
test_program_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = spawn (&error, "--port", "0", "--pending-ms", "10",
                                          "--processing-ms", "10", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GRegex) line_format = g_regex_new ("^Clapboard simulator listening on "
                                               "(http://127\\.0\\.0\\.1:[0-9]+)$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) stats = NULL;
  g_autoptr(SoupMessage) refused = NULL;
  g_autoptr(SoupMessage) inject = NULL;
  g_autoptr(SoupMessage) faulted = NULL;
  g_autoptr(GBytes) stats_body = NULL;
  g_autoptr(GBytes) refused_body = NULL;
  g_autoptr(GBytes) inject_body = NULL;
  g_autoptr(GBytes) faulted_body = NULL;
  g_autofree char *line = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *log = NULL;

  g_assert_no_error (error);

  /* The first line of stdout gives the URL. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_regex_match (line_format, line, 0, &match));
  base = g_match_info_fetch (match, 1);

  url = g_strconcat (base, "/sim/stats", NULL);
  stats = send (session, "GET", url, NULL, NULL, &stats_body);
  g_assert_cmpuint (soup_message_get_status (stats), ==, SOUP_STATUS_OK);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (stats_body, NULL),
                                  g_bytes_get_size (stats_body), "\"create\":0"));

  g_free (url);
  url = g_strconcat (base, "/api/v1/video/generations", NULL);
  refused = send (session, "POST", url, "sim-unauthorized", "{}", &refused_body);
  g_assert_cmpuint (soup_message_get_status (refused), ==, SOUP_STATUS_UNAUTHORIZED);

  /* Faults are injected over HTTP into the running program. */
  g_free (url);
  url = g_strconcat (base, "/sim/faults", NULL);
  inject = send (session, "POST", url, NULL,
                 "{\"endpoint\":\"query\",\"fault\":\"http-429\",\"count\":1}", &inject_body);
  g_assert_cmpuint (soup_message_get_status (inject), ==, SOUP_STATUS_OK);

  g_free (url);
  url = g_strconcat (base, "/api/v1/video/generations?task_id=x", NULL);
  faulted = send (session, "GET", url, "secret-key-value", NULL, &faulted_body);
  g_assert_cmpuint (soup_message_get_status (faulted), ==, 429);

  /* SIGTERM ends it cleanly. */
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  /* Requests are logged to stderr, never their key. */
  {
    g_autoptr(GBytes) bytes = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (process),
                                                         65536, NULL, &error);

    g_assert_no_error (error);
    log = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  }
  g_assert_nonnull (strstr (log, "POST /api/v1/video/generations -> 401"));
  g_assert_nonnull (strstr (log, "GET /api/v1/video/generations?task_id=x -> 429"));
  g_assert_null (strstr (log, "secret-key-value"));
  g_assert_null (strstr (log, "Bearer"));
}

static void
test_program_bad_option (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = spawn (&error, "--port", "70000", NULL);

  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
}

/* Starts the program with @dialect_env in CLAPBOARD_SIM_DIALECT (or
 * none) and @args, and asks it which dialect it speaks. */
static char *
spoken_dialect (const char  *dialect_env,
                const char **args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  char *dialect;

  if (dialect_env != NULL)
    g_subprocess_launcher_setenv (launcher, "CLAPBOARD_SIM_DIALECT", dialect_env, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "CLAPBOARD_SIM_DIALECT");

  g_ptr_array_add (argv, (char *)program_path ());
  g_ptr_array_add (argv, (char *)"--port");
  g_ptr_array_add (argv, (char *)"0");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Clapboard simulator listening on "));

  url = g_strconcat (strrchr (line, ' ') + 1, "/sim/dialect", NULL);
  msg = send (session, "GET", url, NULL, NULL, &body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  dialect = g_strdup (json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "data"),
    "dialect"));

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  return dialect;
}

static void
test_program_dialect (void)
{
  g_autofree char *seed = spoken_dialect (NULL, (const char *[]) { NULL });
  g_autofree char *gateway = spoken_dialect (NULL, (const char *[]) { "--dialect", "gateway",
                                                                      NULL });
  g_autofree char *kling = spoken_dialect ("kling-native", (const char *[]) { NULL });
  /* the option wins over the environment */
  g_autofree char *chosen = spoken_dialect ("kling-native", (const char *[]) { "--dialect", "seed",
                                                                               NULL });
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) unknown = spawn (&error, "--dialect", "klingon", NULL);

  g_assert_cmpstr (seed, ==, "seed");
  g_assert_cmpstr (gateway, ==, "gateway");
  g_assert_cmpstr (kling, ==, "kling-native");
  g_assert_cmpstr (chosen, ==, "seed");

  g_assert_no_error (error);
  g_subprocess_wait (unknown, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (unknown), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/program/run", test_program_run);
  g_test_add_func ("/sim/program/bad-option", test_program_bad_option);
  g_test_add_func ("/sim/program/dialect", test_program_dialect);

  return g_test_run ();
}

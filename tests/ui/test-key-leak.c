/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "clap-test-files.h"

/* The API key must never be written anywhere: not in GSettings, the
 * history, a log line, or the command line of a child process. This runs
 * the real application and command line, with every debug message on, on
 * a take that makes them use the key (a status query and a download), then
 * searches every byte they wrote. */

#define KEY "leak-check-7f3a91c2e5d84b60aa"

static char *home;

static GSubprocessLauncher *
launcher_new (const char *sim_url)
{
  GSubprocessLauncher *launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  const char *dirs[][2] = {
    { "HOME", "" }, { "XDG_DATA_HOME", "data" }, { "XDG_CONFIG_HOME", "config" },
    { "XDG_CACHE_HOME", "cache" }, { "XDG_STATE_HOME", "state" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (home, dirs[i][1], NULL);
      g_mkdir_with_parents (path, 0700);
      g_subprocess_launcher_setenv (launcher, dirs[i][0], path, TRUE);
    }

  /* settings go to a file, so a key written there would be found */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "CLAPBOARD_DATA_DIR");
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_API_KEY", KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_BASE_URL", sim_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "CLAPBOARD_POLL_MS", "100", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "", TRUE);
  return launcher;
}

static GSubprocess *
start_sim (char **url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  GSubprocess *sim;

  sim = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                          g_getenv ("CLAPBOARD_SIM"), "--port", "0", "--pending-ms", "300",
                          "--processing-ms", "800", NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  *url = g_strdup (strrchr (line, ' ') + 1);
  return sim;
}

/* Every file below @dir whose bytes contain the key. */
static void
find_key (const char *dir,
          GPtrArray  *offenders,
          guint      *n_files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          find_key (path, offenders, n_files);
          continue;
        }

      if (!g_file_get_contents (path, &contents, &length, NULL))
        continue;
      (*n_files)++;
      if (memmem (contents, length, KEY, strlen (KEY)) != NULL)
        g_ptr_array_add (offenders, g_strdup (path));
    }
}

/* The command lines of @pid's children: a key passed on one would show. */
static void
check_children (GPid pid)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr(GDir) d = g_dir_open (tasks, 0, NULL);
  const char *tid;

  while (d != NULL && (tid = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *children_file = g_build_filename (tasks, tid, "children", NULL);
      g_autofree char *children = NULL;
      g_auto(GStrv) pids = NULL;

      if (!g_file_get_contents (children_file, &children, NULL, NULL))
        continue;
      pids = g_strsplit (g_strstrip (children), " ", -1);
      for (guint i = 0; pids[i] != NULL && *pids[i] != '\0'; i++)
        {
          g_autofree char *cmdline_file = g_strdup_printf ("/proc/%s/cmdline", pids[i]);
          g_autofree char *cmdline = NULL;
          gsize length = 0;

          if (g_file_get_contents (cmdline_file, &cmdline, &length, NULL))
            g_assert_null (memmem (cmdline, length, KEY, strlen (KEY)));
        }
    }
}

static char *
read_all (GSubprocess *child)
{
  g_autofree char *out = NULL;

  g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, NULL);
  return g_steal_pointer (&out);
}

static gboolean
history_has_download (const char *cli_out)
{
  return cli_out != NULL && strstr (cli_out, "\"state\" : \"completed\"") != NULL &&
         strstr (cli_out, "\"localFile\" : \"") != NULL;
}

static void
test_key_never_written (void)
{
  g_autofree char *url = NULL;
  g_autoptr(GSubprocess) sim = start_sim (&url);
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (url);
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GPtrArray) offenders = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *cli_out = NULL;
  g_autofree char *app_out = NULL;
  g_autofree char *logs = g_build_filename (home, "captured", NULL);
  g_autofree char *cli_log = g_build_filename (logs, "cli.log", NULL);
  g_autofree char *app_log = g_build_filename (logs, "app.log", NULL);
  gint64 end;
  guint n_files = 0;

  g_mkdir_with_parents (logs, 0700);

  /* the command line submits a take and leaves it pending in the history */
  cli = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CLAPBOARD_CLI"), "generate",
                                     "--prompt", "A take to follow", NULL);
  g_assert_no_error (error);
  cli_out = read_all (cli);
  g_assert_true (g_subprocess_get_if_exited (cli) && g_subprocess_get_exit_status (cli) == 0);
  g_assert_true (g_file_set_contents (cli_log, cli_out, -1, NULL));

  /* the application resumes it: queries with the key, downloads, saves */
  app = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CLAPBOARD_APP"), NULL);
  g_assert_no_error (error);

  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GSubprocess) list = g_subprocess_launcher_spawn (launcher, NULL,
                                                                 g_getenv ("CLAPBOARD_CLI"),
                                                                 "list", "--json", NULL);
      g_autofree char *out = list ? read_all (list) : NULL;

      check_children (atoi (g_subprocess_get_identifier (app)));
      if (history_has_download (out))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (200 * 1000);
    }

  g_subprocess_send_signal (app, SIGTERM);
  app_out = read_all (app);
  g_assert_true (g_file_set_contents (app_log, app_out ? app_out : "", -1, NULL));
  /* debug logging was really on: the log names the header it hides */
  g_assert_nonnull (strstr (app_out, "Authorization: Bearer [redacted]"));

  find_key (home, offenders, &n_files);
  g_test_message ("searched %u files", n_files);
  for (guint i = 0; i < offenders->len; i++)
    g_test_message ("the key is in %s", (char *) g_ptr_array_index (offenders, i));
  g_assert_cmpuint (offenders->len, ==, 0);
  /* the history, its log, the settings file and the clip were all searched */
  g_assert_cmpuint (n_files, >=, 4);

  g_subprocess_send_signal (sim, SIGTERM);
  g_subprocess_wait (sim, NULL, NULL);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  home = g_dir_make_tmp ("clap-key-XXXXXX", NULL);

  g_test_add_func ("/ui/key/never-written", test_key_never_written);
  status = g_test_run ();

  clap_test_rm_rf (home);
  return status;
}

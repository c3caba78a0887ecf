/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "clap-cli.h"
#include "clap-media.h"

/* clapboard-cli: the core, from a shell. Results go to stdout, one per line,
 * so scripts can read them; progress and messages go to stderr; the exit
 * code says what happened (see ClapExit). */

static const char exit_codes_help[] =
  N_("Exit codes:\n"
     "  0   success\n"
     "  1   other failure\n"
     "  2   wrong command line\n"
     "  3   the request or an input file breaks a rule (nothing was sent or charged)\n"
     "  4   no API key, or the key was rejected\n"
     "  5   insufficient balance\n"
     "  6   the service could not be reached or answered badly\n"
     "  7   the take failed on the service (failed takes are not billed)\n"
     "  8   unknown task id\n"
     "  9   a local file could not be written\n"
     "  10  the result’s link has expired\n"
     "  11  the create request may have been received and charged: check before retrying\n"
     "  12  --timeout passed before the take finished (it goes on on the service)\n"
     "  130 interrupted");

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n%s\n\n%s\n\n%s\n",
           _("Usage: clapboard-cli [--base-url URL] COMMAND [OPTIONS]"),
           _("Commands:"),
           _("  generate   submit a take (--help for its options)\n"
             "  cost       print the estimated price of a take without submitting it\n"
             "  status     print the state of a take: status TASK_ID\n"
             "  download   save the result of a take: download TASK_ID --output FILE\n"
             "  list       print the history of takes (shared with the window)\n"
             "  resume     follow and download every take left unfinished\n"
             "  inspect    print what was sent and answered for a take: inspect TASK_ID\n"
             "  check      check the service address and the key, spending nothing"),
           _("The API key is read from CLAPBOARD_API_KEY; the service address from --base-url "
             "or CLAPBOARD_BASE_URL (default https://apimodels.app). The history is the "
             "window's, in the user data folder, or in CLAPBOARD_DATA_DIR if set."),
           _(exit_codes_help));
}

/* The service's client, made once the command needs it. */
gboolean
clap_cli_ensure_client (ClapCli  *cli,
                        gboolean  need_key)
{
  g_autoptr(GError) error = NULL;
  const char *key = g_getenv ("CLAPBOARD_API_KEY");

  if (cli->client != NULL)
    return TRUE;

  if (need_key && (key == NULL || *key == '\0'))
    {
      g_printerr ("%s\n", _("No API key: set CLAPBOARD_API_KEY to the key from your apimodels.app "
                            "account."));
      cli->exit_code = CLAP_EXIT_AUTH;
      return FALSE;
    }

  cli->client = clap_client_new (cli->base_url, key, &error);
  if (cli->client == NULL)
    {
      g_printerr ("%s\n", error->message);
      cli->exit_code = CLAP_EXIT_USAGE;
      return FALSE;
    }

  if (g_getenv ("CLAPBOARD_RETRY_BASE_MS") != NULL)
    {
      /* Tests shorten the backoff; the bounds stay the same. */
      guint base = (guint) g_ascii_strtoull (g_getenv ("CLAPBOARD_RETRY_BASE_MS"), NULL, 10);
      clap_client_set_retry_policy (cli->client, 5, base, base * 8);
    }

  if (g_getenv ("CLAPBOARD_TIMEOUT_S") != NULL)
    clap_client_set_timeout (cli->client,
                             (guint) g_ascii_strtoull (g_getenv ("CLAPBOARD_TIMEOUT_S"), NULL, 10));

  return TRUE;
}

/* The shared history and the session over it: the same as the window's
 * (CLAPBOARD_DATA_DIR chooses another history, for scripts and tests). */
gboolean
clap_cli_ensure_session (ClapCli  *cli,
                         gboolean  need_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = NULL;
  const char *poll_ms = g_getenv ("CLAPBOARD_POLL_MS");

  if (cli->session != NULL)
    return TRUE;

  if (!clap_cli_ensure_client (cli, need_key))
    return FALSE;

  store = clap_store_open (NULL, &error);
  if (store == NULL)
    {
      clap_cli_fail (cli, error);
      cli->exit_code = CLAP_EXIT_DISK;
      return FALSE;
    }

  cli->session = clap_session_new (store, cli->client, NULL);
  if (poll_ms != NULL)
    {
      guint first = (guint) g_ascii_strtoull (poll_ms, NULL, 10);
      clap_poller_set_interval (clap_session_get_poller (cli->session), first, first * 4);
    }

  return TRUE;
}

/* Prints @error and gives the exit code it stands for. */
int
clap_cli_fail (ClapCli      *cli,
               const GError *error)
{
  clap_cli_progress_end (cli);
  g_printerr ("clapboard-cli: %s\n", error->message);

  cli->exit_code = clap_cli_exit_code_for_error (error);
  return cli->exit_code;
}

/* The exit code @error stands for (ClapExit). */
int
clap_cli_exit_code_for_error (const GError *error)
{
  int code = CLAP_EXIT_FAILURE;

  if (error->domain == CLAP_REQUEST_ERROR || error->domain == CLAP_MEDIA_ERROR)
    code = CLAP_EXIT_INVALID;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    code = CLAP_EXIT_INTERRUPTED;
  else if (error->domain == CLAP_CLIENT_ERROR)
    {
      switch (error->code)
        {
        case CLAP_CLIENT_ERROR_BAD_REQUEST:
          code = CLAP_EXIT_INVALID;
          break;
        case CLAP_CLIENT_ERROR_UNAUTHORIZED:
          code = CLAP_EXIT_AUTH;
          break;
        case CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE:
          code = CLAP_EXIT_BALANCE;
          break;
        case CLAP_CLIENT_ERROR_NOT_FOUND:
          code = CLAP_EXIT_NOT_FOUND;
          break;
        case CLAP_CLIENT_ERROR_DISK:
          code = CLAP_EXIT_DISK;
          break;
        case CLAP_CLIENT_ERROR_EXPIRED:
          code = CLAP_EXIT_EXPIRED;
          break;
        case CLAP_CLIENT_ERROR_INSECURE_URL:
          /* An address from the service (a result, a redirect) that is not
           * secure: the service answered badly. One typed on the command
           * line is refused as a usage error before anything is sent. */
          code = CLAP_EXIT_NETWORK;
          break;
        case CLAP_CLIENT_ERROR_BUSY:
          code = CLAP_EXIT_FAILURE;
          break;
        default:
          code = CLAP_EXIT_NETWORK;
          break;
        }
    }

  return code;
}

static gboolean progress_line_open;

/* A status line on stderr: rewritten in place on a terminal, one line per
 * change otherwise (logs stay readable). */
void
clap_cli_progress (ClapCli    *cli,
                   const char *format,
                   ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (cli->quiet)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (cli->stderr_is_tty)
    {
      fprintf (stderr, "\r\033[K%s", text);
      progress_line_open = TRUE;
    }
  else
    {
      fprintf (stderr, "%s\n", text);
    }
  fflush (stderr);
}

void
clap_cli_progress_end (ClapCli *cli)
{
  if (progress_line_open)
    {
      fputc ('\n', stderr);
      progress_line_open = FALSE;
    }
}

void
clap_cli_quit (ClapCli *cli,
               int      exit_code)
{
  cli->exit_code = exit_code;
  g_main_loop_quit (cli->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  ClapCli *cli = user_data;

  clap_cli_progress_end (cli);
  g_cancellable_cancel (cli->cancellable);
  clap_cli_quit (cli, CLAP_EXIT_INTERRUPTED);
  return G_SOURCE_CONTINUE;
}

int
clap_cli_run_loop (ClapCli *cli)
{
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, cli);

  g_main_loop_run (cli->loop);
  g_source_remove (sigint);
  clap_cli_progress_end (cli);
  return cli->exit_code;
}

int
clap_cli_usage_error (GOptionContext *context,
                      const char     *message)
{
  g_printerr ("clapboard-cli: %s\n", message);
  g_printerr ("%s\n", _("Run with --help for the options."));
  return CLAP_EXIT_USAGE;
}

typedef struct {
  ClapCli *cli;
  char    *output;
} DownloadData;

static void
download_progress (goffset  received,
                   goffset  total,
                   gpointer user_data)
{
  DownloadData *data = user_data;
  g_autofree char *got = g_format_size (received);

  if (total > 0)
    {
      g_autofree char *all = g_format_size (total);
      clap_cli_progress (data->cli, _("Downloading… %s of %s (%.0f%%)"), got, all,
                         100.0 * received / total);
    }
  else
    {
      clap_cli_progress (data->cli, _("Downloading… %s"), got);
    }
}

static void
download_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DownloadData *data = user_data;
  ClapCli *cli = data->cli;
  g_autoptr(GError) error = NULL;

  if (!clap_client_download_finish (CLAP_CLIENT (source), result, &error))
    {
      clap_cli_quit (cli, clap_cli_fail (cli, error));
    }
  else
    {
      clap_cli_progress_end (cli);
      g_print ("%s\n", data->output);
      clap_cli_quit (cli, CLAP_EXIT_OK);
    }

  g_free (data->output);
  g_free (data);
}

/* Downloads @url into @output (through OUTPUT.part) and quits the loop with
 * the outcome. An existing file is kept unless @force. */
void
clap_cli_download_result (ClapCli    *cli,
                          const char *url,
                          const char *output,
                          gboolean    force)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (output);
  DownloadData *data;

  if (!force && g_file_query_exists (file, NULL))
    {
      g_printerr (_("clapboard-cli: “%s” already exists; use --force to replace it.\n"), output);
      clap_cli_quit (cli, CLAP_EXIT_DISK);
      return;
    }

  data = g_new0 (DownloadData, 1);
  data->cli = cli;
  data->output = g_file_get_path (file);
  clap_client_download_async (cli->client, url, file, CLAP_RESULT_MAX_BYTES, CLAP_DOWNLOAD_KIND_VIDEO, download_progress, data, NULL,
                              cli->cancellable, download_done, data);
}

int
main (int   argc,
      char *argv[])
{
  ClapCli cli = { 0 };
  g_autofree char *base_url = NULL;
  const char *command;
  int i = 1;
  int status;
  /* The translations of an uninstalled build: CLAPBOARD_LOCALEDIR=BUILD/po */
  const char *localedir = g_getenv ("CLAPBOARD_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("clapboard-cli");
  /* stdout is for results only; every log line goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  /* Owned here, so that every early return frees it. */
  base_url = g_strdup (g_getenv ("CLAPBOARD_BASE_URL"));

  /* Global options come before the command. */
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          print_usage (stdout);
          return CLAP_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--version"))
        {
          g_print ("clapboard-cli %s\n", PACKAGE_VERSION);
          return CLAP_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--quiet") || g_str_equal (argv[i], "-q"))
        {
          cli.quiet = TRUE;
        }
      else if (g_str_equal (argv[i], "--base-url") && i + 1 < argc)
        {
          g_free (base_url);
          base_url = g_strdup (argv[++i]);
        }
      else if (g_str_has_prefix (argv[i], "--base-url="))
        {
          g_free (base_url);
          base_url = g_strdup (argv[i] + strlen ("--base-url="));
        }
      else
        {
          g_printerr (_("clapboard-cli: unknown option “%s”\n"), argv[i]);
          print_usage (stderr);
          return CLAP_EXIT_USAGE;
        }
    }

  if (i >= argc)
    {
      print_usage (stderr);
      return CLAP_EXIT_USAGE;
    }

  cli.base_url = base_url;

  /* A person's own catalogue that cannot be used is said once, with the
   * entry at fault; the built-in one is in force meanwhile. */
  if (clap_catalog_get_override_error () != NULL)
    g_printerr (_("clapboard-cli: warning: %s\n"), clap_catalog_get_override_error ()->message);

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.stderr_is_tty = isatty (STDERR_FILENO);
  cli.started_us = g_get_monotonic_time ();

  command = argv[i];
  if (g_str_equal (command, "generate"))
    status = clap_cli_generate (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "cost"))
    status = clap_cli_cost (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "status"))
    status = clap_cli_status (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "download"))
    status = clap_cli_download (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "list"))
    status = clap_cli_list (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "resume"))
    status = clap_cli_resume (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "inspect"))
    status = clap_cli_inspect (&cli, argc - i, argv + i);
  else if (g_str_equal (command, "check"))
    status = clap_cli_check (&cli, argc - i, argv + i);
  else
    {
      g_printerr (_("clapboard-cli: unknown command “%s”\n"), command);
      print_usage (stderr);
      status = CLAP_EXIT_USAGE;
    }

  /* Every change of a take is on disk before the process ends. */
  if (cli.session != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!clap_store_flush (clap_session_get_store (cli.session), &error))
        {
          g_printerr ("clapboard-cli: %s\n", error->message);
          if (status == CLAP_EXIT_OK)
            status = CLAP_EXIT_DISK;
        }
      g_clear_object (&cli.session);
    }
  g_clear_object (&cli.client);
  g_clear_object (&cli.cancellable);
  g_clear_pointer (&cli.loop, g_main_loop_unref);

  return status;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clapboard-cli"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "clap-cli.h"
#include "clap-session.h"
#include "clap-transfer.h"

/* generate and cost: the options of a request, read from the command line
 * and checked against the catalogue, so a flag the model does not take is
 * refused by name instead of silently dropped. */

typedef struct {
  char     *model;
  char     *prompt;
  char     *negative_prompt;
  char     *mode;
  int       duration;
  char     *aspect_ratio;
  char     *image;
  char     *last_frame;
  char     *motion_video;
  double    motion_seconds;
  gboolean  audio;
  char    **voices;
  char     *orientation;
  char     *keep_original_sound;
  char     *version;
  char     *callback_url;

  /* generate only */
  gboolean  wait;
  char     *output;
  int       timeout;
  gboolean  force;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->model);
  g_free (o->prompt);
  g_free (o->negative_prompt);
  g_free (o->mode);
  g_free (o->aspect_ratio);
  g_free (o->image);
  g_free (o->last_frame);
  g_free (o->motion_video);
  g_strfreev (o->voices);
  g_free (o->orientation);
  g_free (o->keep_original_sound);
  g_free (o->version);
  g_free (o->callback_url);
  g_free (o->output);
}

static GOptionContext *
options_context (Options    *o,
                 const char *command,
                 gboolean    generate)
{
  const GOptionEntry request_entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &o->model,
      N_("Model: kling-v2-6, kling-v3 or kling-motion-control (default kling-v2-6)"), "MODEL" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &o->prompt,
      N_("What the clip shows, up to 2500 characters (\"-\" reads it from stdin)"), "TEXT" },
    { "negative-prompt", 0, 0, G_OPTION_ARG_STRING, &o->negative_prompt,
      N_("What the clip must not show"), "TEXT" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &o->mode,
      N_("std or pro (motion control: std is 720p, pro 1080p)"), "MODE" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &o->duration,
      N_("Seconds: 5 or 10 for kling-v2-6, 3 to 15 for kling-v3"), "SECONDS" },
    { "aspect-ratio", 'a', 0, G_OPTION_ARG_STRING, &o->aspect_ratio,
      N_("16:9, 9:16 or 1:1"), "RATIO" },
    { "image", 'i', 0, G_OPTION_ARG_STRING, &o->image,
      N_("First frame, or the character for motion control: a PNG/JPEG file or an https URL"),
      "FILE|URL" },
    { "last-frame", 0, 0, G_OPTION_ARG_STRING, &o->last_frame,
      N_("Last frame: a PNG/JPEG file or an https URL"), "FILE|URL" },
    { "motion-video", 0, 0, G_OPTION_ARG_STRING, &o->motion_video,
      N_("Motion source for motion control: an MP4/MOV file or an https URL"), "FILE|URL" },
    { "motion-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &o->motion_seconds,
      N_("Length of a motion video given as a URL (a file is measured)"), "SECONDS" },
    { "audio", 0, 0, G_OPTION_ARG_NONE, &o->audio,
      N_("Generate audio (kling-v2-6: pro mode only)"), NULL },
    { "voice", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->voices,
      N_("A voice id, up to twice; call them in the prompt as <<<voice_1>>>, <<<voice_2>>>"), "ID" },
    { "orientation", 0, 0, G_OPTION_ARG_STRING, &o->orientation,
      N_("Motion control: follow the “video” (up to 30 s) or the “image” (up to 10 s)"), "WHICH" },
    { "keep-original-sound", 0, 0, G_OPTION_ARG_STRING, &o->keep_original_sound,
      N_("Motion control: yes or no"), "YES|NO" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &o->version,
      N_("Motion control: Kling version 2.6 or 3.0"), "VERSION" },
    { "callback-url", 0, 0, G_OPTION_ARG_STRING, &o->callback_url,
      N_("An https URL the service calls when the take finishes"), "URL" },
    { NULL }
  };
  const GOptionEntry generate_entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &o->wait,
      N_("Wait until the take finishes, showing its progress"), NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
      N_("With --wait: save the clip to FILE"), "FILE" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout,
      N_("With --wait: give up waiting after SECONDS (the take goes on)"), "SECONDS" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &o->force,
      N_("Replace the output file if it exists"), NULL },
    { NULL }
  };
  g_autofree char *parameter = g_strdup_printf ("%s", command);
  GOptionContext *context = g_option_context_new (NULL);

  g_option_context_set_summary (context, generate
                                ? _("Submits a take and prints its task id.")
                                : _("Prints the estimated price of a take; nothing is sent."));
  g_option_context_add_main_entries (context, request_entries, GETTEXT_PACKAGE);
  if (generate)
    g_option_context_add_main_entries (context, generate_entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  return context;
}

static gboolean
parse_yes_no (const char *value,
              gboolean   *out)
{
  const char *yes[] = { "yes", "on", "true", "1" };
  const char *no[] = { "no", "off", "false", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (value, yes[i]) == 0)
        return *out = TRUE, TRUE;
      if (g_ascii_strcasecmp (value, no[i]) == 0)
        return *out = FALSE, TRUE;
    }
  return FALSE;
}

static char *
read_stdin (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char buffer[4096];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
    g_string_append_len (text, buffer, (gssize) n);

  /* a trailing newline from echo or a file is not part of the prompt */
  while (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Builds the request; on a usage or rule error prints it and returns NULL
 * with *exit_code set. */
static ClapRequest *
options_to_request (Options *o,
                    int     *exit_code)
{
  g_autoptr(ClapRequest) request = NULL;
  const ClapModelSpec *model;
  struct { gboolean given; ClapOption option; const char *flag; } given[] = {
    { o->negative_prompt != NULL, CLAP_OPTION_NEGATIVE_PROMPT, "--negative-prompt" },
    { o->aspect_ratio != NULL, CLAP_OPTION_ASPECT_RATIO, "--aspect-ratio" },
    { o->duration != 0, CLAP_OPTION_DURATION, "--duration" },
    { o->image != NULL, CLAP_OPTION_IMAGE, "--image" },
    { o->last_frame != NULL, CLAP_OPTION_IMAGE_TAIL, "--last-frame" },
    { o->motion_video != NULL, CLAP_OPTION_MOTION_VIDEO, "--motion-video" },
    { o->audio, CLAP_OPTION_SOUND, "--audio" },
    { o->voices != NULL, CLAP_OPTION_VOICES, "--voice" },
    { o->orientation != NULL, CLAP_OPTION_CHARACTER_ORIENTATION, "--orientation" },
    { o->keep_original_sound != NULL, CLAP_OPTION_KEEP_ORIGINAL_SOUND, "--keep-original-sound" },
    { o->version != NULL, CLAP_OPTION_VERSION, "--version" },
  };

  /* GOption reads "-5" as a number; a negative count of seconds is a typo. */
  if (o->duration < 0 || o->motion_seconds < 0)
    {
      g_printerr (_("clapboard-cli: %s takes a number of seconds, not “%g”.\n"),
                  o->duration < 0 ? "--duration" : "--motion-seconds",
                  o->duration < 0 ? (double) o->duration : o->motion_seconds);
      *exit_code = CLAP_EXIT_USAGE;
      return NULL;
    }

  request = clap_request_new (o->model ? o->model : "kling-v2-6");
  model = clap_request_get_model_spec (request);
  if (model == NULL)
    {
      g_printerr (_("clapboard-cli: “%s” is not a model; use kling-v2-6, kling-v3 or "
                    "kling-motion-control.\n"), o->model);
      *exit_code = CLAP_EXIT_USAGE;
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (given); i++)
    {
      gboolean allowed = clap_model_has_option (model, given[i].option);

      /* Motion control's length follows its video. */
      if (given[i].option == CLAP_OPTION_DURATION && (model->flags & CLAP_MODEL_DURATION_IS_VIDEO))
        allowed = FALSE;

      if (given[i].given && !allowed)
        {
          g_printerr (_("clapboard-cli: %s is not an option of %s.\n"), given[i].flag,
                      g_dgettext (GETTEXT_PACKAGE, model->label));
          *exit_code = CLAP_EXIT_USAGE;
          return NULL;
        }
    }

  if (o->prompt != NULL && g_str_equal (o->prompt, "-"))
    {
      g_free (o->prompt);
      o->prompt = read_stdin ();
    }

  clap_request_set_prompt (request, o->prompt);
  clap_request_set_negative_prompt (request, o->negative_prompt);
  if (o->mode != NULL)
    clap_request_set_mode (request, o->mode);
  if (o->duration != 0)
    clap_request_set_duration (request, (guint) o->duration);
  else
    clap_request_set_duration (request, model->default_duration);
  if (o->aspect_ratio != NULL)
    clap_request_set_aspect_ratio (request, o->aspect_ratio);
  clap_request_set_image (request, o->image);
  clap_request_set_image_tail (request, o->last_frame);
  clap_request_set_motion_video (request, o->motion_video);
  clap_request_set_motion_seconds (request, o->motion_seconds);
  clap_request_set_sound (request, o->audio);
  clap_request_set_voices (request, (const char * const *) o->voices);
  if (o->orientation != NULL)
    clap_request_set_character_orientation (request, o->orientation);
  if (o->version != NULL)
    clap_request_set_version (request, o->version);
  clap_request_set_callback_url (request, o->callback_url);

  if (o->keep_original_sound != NULL)
    {
      gboolean keep;

      if (!parse_yes_no (o->keep_original_sound, &keep))
        {
          g_printerr (_("clapboard-cli: --keep-original-sound takes yes or no, not “%s”.\n"),
                      o->keep_original_sound);
          *exit_code = CLAP_EXIT_USAGE;
          return NULL;
        }
      clap_request_set_keep_original_sound (request, keep);
    }

  return g_steal_pointer (&request);
}

/* Checks the local files and every rule; prints the first problem. */
static gboolean
check_request (ClapCli     *cli,
               ClapRequest *request)
{
  g_autoptr(GError) error = NULL;

  /* Links to this computer or a private network are refused now: the
   * provider could not fetch them, and the take would fail after paying
   * for nothing. */
  if (!clap_transfer_check_inputs (request, NULL, &error) ||
      !clap_request_validate (request, &error) ||
      !clap_request_check_links (request, cli->base_url, &error))
    {
      clap_cli_fail (cli, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_options (Options         *o,
               GOptionContext  *context,
               int             *argc,
               char          ***argv,
               int             *exit_code)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_code = clap_cli_usage_error (context, error->message);
      return FALSE;
    }

  if (*argc > 1)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), (*argv)[1]);
      *exit_code = clap_cli_usage_error (context, message);
      return FALSE;
    }

  return TRUE;
}

int
clap_cli_cost (ClapCli  *cli,
               int       argc,
               char    **argv)
{
  Options o = { 0 };
  g_autoptr(GOptionContext) context = options_context (&o, "cost", FALSE);
  g_autoptr(ClapRequest) request = NULL;
  g_autofree char *price_text = NULL;
  g_autofree char *description = NULL;
  ClapPrice price = 0;
  int exit_code = CLAP_EXIT_OK;

  /* A cost needs no prompt: the price does not depend on it. */
  if (!parse_options (&o, context, &argc, &argv, &exit_code))
    goto out;

  request = options_to_request (&o, &exit_code);
  if (request == NULL)
    goto out;
  if (clap_request_get_prompt (request) == NULL)
    clap_request_set_prompt (request, "-");

  if (!check_request (cli, request))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (!clap_request_estimate (request, &price))
    {
      g_printerr ("%s\n", _("clapboard-cli: the provider sells no such combination."));
      exit_code = CLAP_EXIT_INVALID;
      goto out;
    }

  price_text = clap_price_format (price);
  description = clap_request_describe (request);
  g_print ("%s\n", price_text);
  if (!cli->quiet)
    g_printerr (_("Estimated price of %s\n"), description);

out:
  options_clear (&o);
  return exit_code;
}

/* generate ---------------------------------------------------------------- */

/* The take goes through the same ClapSession as in the window: written to
 * the shared history before it is sent, never resent by itself, polled,
 * and its result downloaded into the results folder at once; --output
 * then copies it from there. */

typedef struct {
  ClapCli     *cli;
  Options     *options;
  ClapTask    *task;
  GError      *error;      /* the last error the session reported for the take */
  GError      *id_error;   /* the history could not record the task id */
  gboolean     id_said;    /* … and that was said */
  guint        tick_id;
  guint        timeout_id;
  gboolean     announced;  /* the task id is printed */
  gboolean     finished;   /* the outcome is reported: say nothing more */
  int          shown_state;
} Generate;

static void
generate_quit (Generate *g,
               int       exit_code)
{
  g->finished = TRUE;
  clap_cli_quit (g->cli, exit_code);
}

static void
show_state (Generate *g)
{
  ClapTaskState state = clap_task_get_state (g->task);
  gint64 seconds = (g_get_monotonic_time () - g->cli->started_us) / G_USEC_PER_SEC;
  const char *id = clap_task_get_task_id (g->task);

  clap_cli_progress (g->cli, "%s%s%s — %" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                     id ? id : "", id ? " " : "", clap_task_state_get_label (state),
                     seconds / 60, seconds % 60);
}

static gboolean
tick_cb (gpointer user_data)
{
  show_state (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  Generate *g = user_data;

  g->timeout_id = 0;
  clap_cli_progress_end (g->cli);
  g_printerr (_("clapboard-cli: the take is not finished after %d s; it goes on. "
                "Check it with: clapboard-cli status %s\n"),
              g->options->timeout, clap_task_get_task_id (g->task));
  generate_quit (g, CLAP_EXIT_TIMEOUT);
  return G_SOURCE_REMOVE;
}

static void
finish_completed (Generate *g)
{
  const char * const *urls = clap_task_get_result_urls (g->task);

  if (g->options->output == NULL)
    {
      for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
        g_print ("%s\n", urls[i]);
      clap_cli_quit (g->cli, CLAP_EXIT_OK);
      return;
    }

  {
    g_autoptr(GFile) source = g_file_new_for_path (clap_task_get_local_file (g->task));
    g_autoptr(GFile) destination = g_file_new_for_commandline_arg (g->options->output);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_file_get_path (destination);

    if (!g_file_copy (source, destination, g->options->force ? G_FILE_COPY_OVERWRITE : 0,
                      NULL, NULL, NULL, &error))
      {
        if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
          g_printerr (_("clapboard-cli: “%s” already exists; use --force to replace it. The clip "
                        "is kept in %s\n"), g->options->output, clap_task_get_local_file (g->task));
        else
          g_printerr (_("clapboard-cli: “%s” could not be written: %s. The clip is kept in %s\n"),
                      g->options->output, error->message, clap_task_get_local_file (g->task));
        clap_cli_quit (g->cli, CLAP_EXIT_DISK);
        return;
      }

    clap_task_set_saved_time (g->task, g_get_real_time () / 1000);
    g_print ("%s\n", path);
    clap_cli_quit (g->cli, CLAP_EXIT_OK);
  }
}

static void
on_task_notify (ClapTask   *task,
                GParamSpec *pspec,
                Generate   *g)
{
  ClapTaskState state = clap_task_get_state (task);

  if (g->finished)
    return;

  if (g_str_equal (pspec->name, "progress"))
    {
      if (g->options->wait && clap_task_needs_download (task))
        clap_cli_progress (g->cli, _("Downloading… %.0f%%"), 100 * clap_task_get_progress (task));
      return;
    }

  if (state == CLAP_TASK_STATE_SUBMITTING)
    return;

  if (!g->announced && clap_task_get_task_id (task) != NULL)
    {
      g->announced = TRUE;
      clap_cli_progress_end (g->cli);
      g_print ("%s\n", clap_task_get_task_id (task));
      fflush (stdout);
      if (!g->options->wait)
        {
          generate_quit (g, CLAP_EXIT_OK);
          return;
        }
      if (g->cli->stderr_is_tty && !g->cli->quiet)
        g->tick_id = g_timeout_add_seconds (1, tick_cb, g);
      if (g->options->timeout > 0)
        g->timeout_id = g_timeout_add_seconds ((guint) g->options->timeout, timeout_cb, g);
    }

  /* Without a terminal, one line per state, not per answer. */
  if (g->options->wait && !g->cli->stderr_is_tty && g->shown_state != (int) state)
    {
      g->shown_state = state;
      show_state (g);
    }

  switch (state)
    {
    case CLAP_TASK_STATE_INTERRUPTED:
      /* The reason is set just after the state: report it once it is there. */
      if (clap_task_get_fail_message (task) == NULL)
        break;
      clap_cli_progress_end (g->cli);
      g_printerr ("clapboard-cli: %s\n", clap_task_get_fail_message (task));
      generate_quit (g, CLAP_EXIT_UNCERTAIN);
      break;

    case CLAP_TASK_STATE_FAILED:
      clap_cli_progress_end (g->cli);
      if (clap_task_get_task_id (task) == NULL && g->error != NULL)
        generate_quit (g, clap_cli_fail (g->cli, g->error));
      else
        {
          g_printerr (_("clapboard-cli: the take failed: %s\n"),
                      clap_task_get_fail_message (task) ? clap_task_get_fail_message (task) : "");
          generate_quit (g, CLAP_EXIT_TASK_FAILED);
        }
      break;

    case CLAP_TASK_STATE_COMPLETED:
      if (!g->options->wait)
        break;
      /* Nothing to wait for: the link may come later, or never. */
      if (clap_task_is_missing_link (task))
        {
          g_clear_handle_id (&g->tick_id, g_source_remove);
          g_clear_handle_id (&g->timeout_id, g_source_remove);
          clap_cli_progress_end (g->cli);
          g_printerr (_("clapboard-cli: the take finished, but the service gave no link to the "
                        "clip. `clapboard-cli resume` asks again later; or check it with: "
                        "clapboard-cli status %s\n"), clap_task_get_task_id (task));
          generate_quit (g, CLAP_EXIT_NETWORK);
          break;
        }
      /* A failed download is reported by on_session_error(). */
      if (clap_task_get_local_file (task) != NULL)
        {
          g_clear_handle_id (&g->tick_id, g_source_remove);
          g_clear_handle_id (&g->timeout_id, g_source_remove);
          clap_cli_progress_end (g->cli);
          g->finished = TRUE;
          finish_completed (g);
        }
      break;

    default:
      break;
    }
}

/* The service created the take but the history could not record its id:
 * the id goes to stdout (if it is not there yet), and where it is kept to
 * stderr. */
static void
say_id_error (Generate *g)
{
  if (g->id_said)
    return;

  g->id_said = TRUE;
  clap_cli_progress_end (g->cli);
  if (!g->announced)
    {
      g->announced = TRUE;
      g_print ("%s\n", clap_task_get_task_id (g->task));
      fflush (stdout);
    }
  g_printerr ("clapboard-cli: %s\n", g->id_error->message);
}

static void
on_session_error (ClapSession *session,
                  ClapTask    *task,
                  GError      *error,
                  Generate    *g)
{
  if (task != NULL && task == g->task && error->domain == CLAP_STORE_ERROR &&
      clap_task_get_task_id (task) != NULL && g->id_error == NULL)
    {
      g->id_error = g_error_copy (error);
      if (!g->finished)
        {
          say_id_error (g);
          generate_quit (g, CLAP_EXIT_DISK);
        }
      return;
    }

  if ((task != NULL && task != g->task) || g->finished)
    return;

  g_clear_error (&g->error);
  g->error = g_error_copy (error);

  /* A rejected key stops polling: say so rather than wait forever. */
  if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED) &&
      clap_task_get_task_id (g->task) != NULL)
    generate_quit (g, clap_cli_fail (g->cli, error));
  else if (task != NULL && g->options->wait &&
           (clap_task_needs_download (task) || clap_task_get_refused_time (task) > 0))
    {
      /* The result could not be fetched (a full disk, a dead link…): the
       * session would only try again much later, so say why now. The take
       * stays completed in the history for `resume` to fetch, unless what
       * the service sent was refused for what it is. */
      int code = clap_cli_fail (g->cli, error);

      if (clap_task_get_refused_time (task) > 0)
        g_printerr (_("Clapboard does not fetch it again by itself; `clapboard-cli download %s "
                      "--output FILE` tries once more.\n"), clap_task_get_task_id (task));
      else if (!g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED))
        g_printerr (_("The take is kept in the history; `clapboard-cli resume` downloads it "
                      "once the problem is solved.\n"));
      generate_quit (g, code);
    }
  else if (task == NULL)
    clap_cli_fail (g->cli, error);
  else if (clap_client_error_is_transient (error) && clap_task_get_task_id (task) != NULL)
    {
      /* The service keeps failing; the take goes on being followed. */
      clap_cli_progress_end (g->cli);
      g_printerr (_("clapboard-cli: still trying: %s\n"), error->message);
    }
}

int
clap_cli_generate (ClapCli  *cli,
                   int       argc,
                   char    **argv)
{
  Options o = { 0 };
  g_autoptr(GOptionContext) context = options_context (&o, "generate", TRUE);
  g_autoptr(ClapRequest) request = NULL;
  Generate g = { cli, &o };
  ClapPrice price = 0;
  int exit_code = CLAP_EXIT_OK;

  if (!parse_options (&o, context, &argc, &argv, &exit_code))
    goto out;

  if ((o.output != NULL || o.timeout != 0) && !o.wait)
    {
      exit_code = clap_cli_usage_error (context, _("--output and --timeout need --wait"));
      goto out;
    }

  if (o.timeout < 0)
    {
      g_autofree char *message = g_strdup_printf (_("--timeout takes a number of seconds, not "
                                                    "“%d”"), o.timeout);
      exit_code = clap_cli_usage_error (context, message);
      goto out;
    }

  request = options_to_request (&o, &exit_code);
  if (request == NULL)
    goto out;

  /* Checked here, so a bad input exits with its own code and no history row. */
  if (!check_request (cli, request))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (!clap_cli_ensure_session (cli, TRUE))
    {
      exit_code = cli->exit_code;
      goto out;
    }

  if (clap_request_estimate (request, &price))
    {
      g_autofree char *text = clap_price_format (price);
      g_autofree char *description = clap_request_describe (request);

      if (!cli->quiet)
        g_printerr (_("%s — estimated price %s\n"), description, text);
    }

  g_signal_connect (cli->session, "error", G_CALLBACK (on_session_error), &g);
  clap_cli_progress (cli, "%s", _("Checking, uploading and submitting…"));
  clap_session_submit (cli->session, request, 1);
  g.task = g_list_model_get_item (G_LIST_MODEL (clap_session_get_store (cli->session)), 0);
  g_signal_connect (g.task, "notify", G_CALLBACK (on_task_notify), &g);

  exit_code = clap_cli_run_loop (cli);

  /* Not done before the task id is in the history, or its journal: what
   * the history says of the write comes now, if it did not yet. */
  if (clap_task_get_task_id (g.task) != NULL)
    clap_store_flush (clap_session_get_store (cli->session), NULL);
  if (g.id_error != NULL)
    {
      say_id_error (&g);
      exit_code = CLAP_EXIT_DISK;
    }

  if (exit_code == CLAP_EXIT_INTERRUPTED)
    {
      if (clap_task_get_task_id (g.task) != NULL)
        g_printerr (_("The take goes on on the service. Check it with: clapboard-cli status %s\n"),
                    clap_task_get_task_id (g.task));
      else if (clap_task_get_state (g.task) == CLAP_TASK_STATE_SUBMITTING)
        g_printerr ("%s\n", _("The request may already have been sent: it may have been created "
                              "and charged. Check your apimodels.app dashboard before trying "
                              "again; `clapboard-cli resume` marks it as interrupted."));
    }

  g_signal_handlers_disconnect_by_data (g.task, &g);
  g_signal_handlers_disconnect_by_data (cli->session, &g);
  g_clear_handle_id (&g.tick_id, g_source_remove);
  g_clear_handle_id (&g.timeout_id, g_source_remove);
  g_clear_object (&g.task);
  g_clear_error (&g.error);
  g_clear_error (&g.id_error);

out:
  options_clear (&o);
  return exit_code;
}

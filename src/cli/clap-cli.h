/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-client.h"
#include "clap-poller.h"
#include "clap-session.h"
#include "clap-request.h"
#include "clap-task.h"

G_BEGIN_DECLS

/* Exit codes scripts may rely on; documented in --help and the README. */
typedef enum {
  CLAP_EXIT_OK = 0,
  CLAP_EXIT_FAILURE = 1,        /* anything not listed below */
  CLAP_EXIT_USAGE = 2,          /* wrong command line */
  CLAP_EXIT_INVALID = 3,        /* the request or an input file breaks a rule; nothing was sent */
  CLAP_EXIT_AUTH = 4,           /* no API key, or the key was rejected */
  CLAP_EXIT_BALANCE = 5,        /* insufficient balance */
  CLAP_EXIT_NETWORK = 6,        /* the service could not be reached or answered badly */
  CLAP_EXIT_TASK_FAILED = 7,    /* the take failed on the service (not billed) */
  CLAP_EXIT_NOT_FOUND = 8,      /* unknown task id */
  CLAP_EXIT_DISK = 9,           /* a local file could not be written */
  CLAP_EXIT_EXPIRED = 10,       /* the result's link has expired */
  CLAP_EXIT_UNCERTAIN = 11,     /* the create request may have been received and charged */
  CLAP_EXIT_TIMEOUT = 12,       /* --timeout passed before the take finished */
  CLAP_EXIT_INTERRUPTED = 130,  /* Ctrl+C */
} ClapExit;

typedef struct {
  GMainLoop    *loop;
  ClapClient   *client;
  ClapSession  *session;
  GCancellable *cancellable;
  char         *base_url;
  gboolean      quiet;
  gboolean      stderr_is_tty;
  int           exit_code;
  gint64        started_us;
} ClapCli;

int       clap_cli_generate     (ClapCli  *cli,
                                 int       argc,
                                 char    **argv);
int       clap_cli_cost         (ClapCli  *cli,
                                 int       argc,
                                 char    **argv);
int       clap_cli_status       (ClapCli  *cli,
                                 int       argc,
                                 char    **argv);
int       clap_cli_download     (ClapCli  *cli,
                                 int       argc,
                                 char    **argv);

gboolean  clap_cli_ensure_client (ClapCli  *cli,
                                  gboolean  need_key);
gboolean  clap_cli_ensure_session (ClapCli  *cli,
                                   gboolean  need_key);
int       clap_cli_list          (ClapCli  *cli,
                                  int       argc,
                                  char    **argv);
int       clap_cli_resume        (ClapCli  *cli,
                                  int       argc,
                                  char    **argv);
int       clap_cli_fail          (ClapCli      *cli,
                                  const GError *error);
int       clap_cli_exit_code_for_error (const GError *error);
int       clap_cli_inspect       (ClapCli  *cli,
                                  int       argc,
                                  char    **argv);
int       clap_cli_check         (ClapCli  *cli,
                                  int       argc,
                                  char    **argv);
void      clap_cli_progress      (ClapCli    *cli,
                                  const char *format,
                                  ...) G_GNUC_PRINTF (2, 3);
void      clap_cli_progress_end  (ClapCli    *cli);
int       clap_cli_run_loop      (ClapCli    *cli);
void      clap_cli_quit          (ClapCli    *cli,
                                  int         exit_code);
int       clap_cli_usage_error   (GOptionContext *context,
                                  const char     *message);
void      clap_cli_download_result (ClapCli    *cli,
                                    const char *url,
                                    const char *output,
                                    gboolean    force);

G_END_DECLS

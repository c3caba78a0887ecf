/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define REL_KEY "reliability-key-7c1e"

/* A clapboard-sim child process, controlled over HTTP as a person or a
 * script would (GET /sim/stats, /sim/tasks, POST /sim/faults). Its request
 * log (one line per request, with the status answered) goes to a file. */
typedef struct _RelSim RelSim;

RelSim     *rel_sim_start     (const char        *result_file,
                               const char        *first_option,
                               ...) G_GNUC_NULL_TERMINATED;
void        rel_sim_stop      (RelSim            *sim);
const char *rel_sim_get_url   (RelSim            *sim);
void        rel_sim_signal    (RelSim            *sim,
                               int                signum);
gint64      rel_sim_count     (RelSim            *sim,
                               const char        *endpoint);
void        rel_sim_inject    (RelSim            *sim,
                               const char        *endpoint,
                               const char        *fault,
                               guint              count);
JsonArray  *rel_sim_tasks     (RelSim            *sim);
char       *rel_sim_log       (RelSim            *sim);

/* One run of clapboard-cli. status is the exit code, or -1 when a signal
 * ended it. */
typedef struct {
  int     status;
  char   *out;
  char   *err;
  double  seconds;
} RelRun;

void        rel_run_clear     (RelRun            *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RelRun, rel_run_clear)

/* A launcher with the environment every run gets: the simulator's address,
 * the key, the history in @data_dir, short poll and retry intervals. */
GSubprocessLauncher *rel_cli_launcher (RelSim            *sim,
                                       const char        *data_dir,
                                       GSubprocessFlags   flags);
void        rel_cli_run_full  (RelRun               *run,
                               GSubprocessLauncher  *launcher,
                               const char * const   *args);
void        rel_cli_run       (RelRun               *run,
                               RelSim               *sim,
                               const char           *data_dir,
                               const char * const   *env,
                               const char * const   *args);

#define rel_cli(run, sim, data_dir, ...) \
  rel_cli_run (run, sim, data_dir, NULL, (const char *[]) { __VA_ARGS__, NULL })

/* `clapboard-cli list --json` of @data_dir, parsed. */
JsonArray  *rel_cli_list      (const char        *data_dir);
JsonObject *rel_find          (JsonArray         *array,
                               const char        *member,
                               const char        *value);
const char *rel_get_string    (JsonObject        *object,
                               const char        *member);

void        rel_assert_contains (const char      *haystack,
                                 const char      *needle);
gboolean    rel_files_equal   (const char        *a,
                               const char        *b);
guint64     rel_file_size     (const char        *path);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <time.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include "clap-application.h"
#include "clap-resources.h"
#include "clap-sim-server.h"
#include "clap-window-private.h"

/* Measurements of the application, driven by bench/app.py, which compares
 * each against a reference run by the same script:
 *
 *   bench-app bare                 a bare AdwApplicationWindow: prints "frame" at its first frame
 *   bench-app startup              Clapboard's window (CLAPBOARD_DATA_DIR's history): prints
 *                                  "frame" at the first frame, "list N" when its rows are shown
 *   bench-app populate DIR N       writes a history of N completed takes into DIR
 *   bench-app history DIR          opens DIR's history and shows it: prints load ms and RSS
 *   bench-app stall URL            the longest main-loop stall while 50 takes are polled,
 *                                  5 results download and a 10 MB image is probed
 *   bench-app idle URL SECONDS N   CPU seconds used over SECONDS with N active takes
 */

static gint64 t0;

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static long
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* bare / startup ----------------------------------------------------------- */

static void
after_paint (GdkFrameClock *clock,
             GtkWidget     *window)
{
  static gboolean printed;

  if (!printed)
    {
      printed = TRUE;
      g_print ("frame %.1f\n", ms_since (t0));
      fflush (stdout);
      if (!CLAP_IS_WINDOW (window))
        g_application_quit (g_application_get_default ());
    }

  if (CLAP_IS_WINDOW (window))
    {
      ClapWindow *w = CLAP_WINDOW (window);
      const char *page = gtk_stack_get_visible_child_name (w->takes_stack);

      if (g_strcmp0 (page, "list") == 0 && gtk_widget_get_first_child (GTK_WIDGET (w->takes_view)))
        {
          g_print ("list %.1f %u\n", ms_since (t0),
                   g_list_model_get_n_items (G_LIST_MODEL (w->filtered)));
          fflush (stdout);
          g_application_quit (g_application_get_default ());
        }
      else
        gtk_widget_queue_draw (window);
    }
}

static void
watch_frames (GtkWindow *window)
{
  g_signal_connect_after (window, "realize", G_CALLBACK (gtk_widget_queue_draw), NULL);
  g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                           G_CALLBACK (after_paint), window, 0);
}

static void
on_window_realize (GtkWidget *window)
{
  watch_frames (GTK_WINDOW (window));
}

static void
bare_activate (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));

  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), gtk_label_new ("bare"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  g_signal_connect (window, "realize", G_CALLBACK (on_window_realize), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window)
{
  g_signal_connect (window, "realize", G_CALLBACK (on_window_realize), NULL);
}

static int
run_bare (void)
{
  g_autoptr(AdwApplication) app = adw_application_new ("app.clapboard.Bench",
                                                       G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (bare_activate), NULL);
  return g_application_run (G_APPLICATION (app), 0, NULL);
}

static int
run_startup (void)
{
  g_autoptr(ClapApplication) app = clap_application_new ();

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  return g_application_run (G_APPLICATION (app), 0, NULL);
}

/* populate / history --------------------------------------------------------- */

static int
run_populate (const char *dir,
              guint       n)
{
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClapStore) store = clap_store_open (db, &error);
  const char *prompts[] = {
    "A lighthouse at dawn, slow dolly-in", "Paper boats racing down a rainy street",
    "A fox in the snow under the northern lights", "Tea pouring in slow motion, steam rising",
  };
  const char *urls[] = { "https://r2.example/videos/x.mp4", NULL };
  g_autofree char *clip = g_build_filename (dir, "clip.mp4", NULL);
  g_autofree char *thumb = g_build_filename (dir, "thumb.png", NULL);
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  guint8 *data = g_malloc (224 * 126 * 4);

  g_assert_no_error (error);

  /* every take has its clip and thumbnail on disk, as after a normal run */
  for (guint i = 0; i < 224 * 126 * 4; i++)
    data[i] = (guint8) (i * 7);
  pixels = g_bytes_new_take (data, 224 * 126 * 4);
  texture = gdk_memory_texture_new (224, 126, GDK_MEMORY_R8G8B8A8, pixels, 224 * 4);
  g_assert_true (gdk_texture_save_to_png (texture, thumb));
  g_assert_true (g_file_set_contents (clip, "not played in this benchmark", -1, NULL));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapRequest) request = clap_request_new (i % 2 ? "kling-v3" : "kling-v2-6");
      g_autoptr(ClapTask) task = NULL;
      g_autofree char *id = g_strdup_printf ("clbench%08u", i);

      clap_request_set_prompt (request, prompts[i % G_N_ELEMENTS (prompts)]);
      task = clap_task_new_for_request (request);
      clap_task_set_task_id (task, id);
      clap_task_set_state (task, CLAP_TASK_STATE_COMPLETED);
      clap_task_set_create_time (task, 1700000000000 + i * 1000);
      clap_task_set_complete_time (task, 1700000000000 + i * 1000 + 150000);
      clap_task_set_result_urls (task, urls);
      clap_task_set_local_file (task, clip);
      clap_task_set_thumbnail_file (task, thumb);
      clap_store_save_async (store, task, NULL, NULL, NULL);
    }
  g_assert_true (clap_store_flush (store, &error));
  return 0;
}

typedef struct {
  gint64  start;
  long    rss_before;
  GMainLoop *loop;
  ClapStore *store;
} History;

static void
history_opened (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  History *h = user_data;
  g_autoptr(GError) error = NULL;

  h->store = clap_store_open_finish (result, &error);
  g_assert_no_error (error);
  g_print ("load %.1f ms %u takes\n", ms_since (h->start),
           g_list_model_get_n_items (G_LIST_MODEL (h->store)));
  g_main_loop_quit (h->loop);
}

static gboolean
history_shown (gpointer user_data)
{
  History *h = user_data;

  g_main_loop_quit (h->loop);
  return G_SOURCE_REMOVE;
}

static int
run_history (const char *dir)
{
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  History h = { 0 };
  g_autoptr(ClapApplication) app = clap_application_new ();
  g_autoptr(ClapClient) client = clap_client_new ("http://127.0.0.1:9", "bench", NULL);
  g_autoptr(ClapSession) session = NULL;
  ClapWindow *window;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = clap_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  h.loop = g_main_loop_new (NULL, FALSE);

  /* the window shown empty, then the history: what the history adds */
  g_timeout_add (300, history_shown, &h);
  g_main_loop_run (h.loop);
  h.rss_before = rss_kb ();

  h.start = g_get_monotonic_time ();
  clap_store_open_async (db, NULL, history_opened, &h);
  g_main_loop_run (h.loop);

  g_print ("rss_after_load %ld kB\n", rss_kb () - h.rss_before);
  session = clap_session_new (h.store, client, NULL);
  clap_window_set_session (window, session, FALSE);
  g_timeout_add (300, history_shown, &h);
  g_main_loop_run (h.loop);
  g_print ("rss_added %ld kB\n", rss_kb () - h.rss_before);

  gtk_window_destroy (GTK_WINDOW (window));
  g_main_loop_unref (h.loop);
  g_clear_object (&h.store);
  return 0;
}

/* stall / idle ------------------------------------------------------------- */

static gint64 last_tick;
static gint64 worst_gap;
static gint64 last_cpu;
static gint64 worst_cpu;

/* CPU time of the main thread: a gap full of it is work of ours; a gap
 * without it is the scheduler giving the core to another process. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
tick (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();

  if (last_tick != 0 && now - last_tick > worst_gap)
    worst_gap = now - last_tick;
  if (last_tick != 0 && now - last_tick > 20000 && g_getenv ("BENCH_TRACE"))
    g_printerr ("gap %.1f ms wall, %.1f ms cpu at %.3f s\n", (now - last_tick) / 1000.0,
                (cpu - last_cpu) / 1000.0, now / 1e6);
  if (last_cpu != 0 && cpu - last_cpu > worst_cpu)
    worst_cpu = cpu - last_cpu;
  last_tick = now;
  last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

static ClapSession *
bench_session (const char *url,
               const char *dir)
{
  g_autofree char *db = g_build_filename (dir, "history.db", NULL);
  g_autoptr(ClapStore) store = clap_store_open (db, NULL);
  g_autoptr(ClapClient) client = clap_client_new (url, "bench", NULL);

  return clap_session_new (store, client, NULL);
}

static void
submit_many (ClapSession *session,
             guint        n,
             const char  *prompt)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapRequest) request = clap_request_new ("kling-v2-6");
      g_autofree char *text = g_strdup_printf ("%s %u", prompt, i);

      clap_request_set_prompt (request, text);
      clap_session_submit (session, request, 1);
    }
}

static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Runs the main loop for @ms without adding work of its own: one timer. */
static void
wait_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add_once (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static int
run_stall (const char *polling_url,
           const char *download_url,
           const char *image)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-bench-XXXXXX", NULL);
  g_autofree char *dir2 = g_dir_make_tmp ("clap-bench-XXXXXX", NULL);
  g_autoptr(ClapApplication) app = clap_application_new ();
  g_autoptr(ClapSession) polled = bench_session (polling_url, dir);
  g_autoptr(ClapSession) downloads = bench_session (download_url, dir2);
  ClapWindow *window;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = clap_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  clap_window_set_session (window, polled, FALSE);
  clap_poller_set_interval (clap_session_get_poller (polled), 200, 1000);
  clap_session_set_max_downloads (downloads, 5);
  wait_ms (500);

  /* 50 takes polled (a simulator whose takes never finish in time), once
   * they are all sent: a person submits one at a time */
  submit_many (polled, 50, "polled");
  while (clap_poller_get_n_active (clap_session_get_poller (polled)) < 50)
    wait_ms (50);

  g_timeout_add_full (G_PRIORITY_HIGH, 1, tick, NULL, NULL);
  last_tick = 0;
  worst_gap = 0;
  last_cpu = 0;
  worst_cpu = 0;

  /* 5 results downloading (a simulator serving a large file) */
  submit_many (downloads, 5, "downloaded");
  /* a 10 MB image, given to the composer as "Reuse Settings" would */
  if (image != NULL)
    {
      g_autoptr(ClapRequest) request = clap_request_new ("kling-v2-6");

      clap_request_set_prompt (request, "with a big first frame");
      clap_request_set_image (request, image);
      clap_composer_load_request (window->composer, request);
    }

  wait_ms (8000);
  g_print ("stall %.1f ms wall, %.1f ms of main-thread CPU (polled %u, downloads busy %u)\n",
           worst_gap / 1000.0, worst_cpu / 1000.0,
           clap_poller_get_n_active (clap_session_get_poller (polled)),
           clap_session_get_n_busy (downloads));

  gtk_window_destroy (GTK_WINDOW (window));
  wait_ms (100);
  return 0;
}

static guint n_frames;

static void
count_frame (void)
{
  n_frames++;
}

static int
run_idle (const char *url,
          guint       seconds,
          guint       n_active)
{
  g_autofree char *dir = g_dir_make_tmp ("clap-bench-XXXXXX", NULL);
  g_autoptr(ClapApplication) app = clap_application_new ();
  g_autoptr(ClapSession) session = bench_session (url, dir);
  ClapWindow *window;
  double cpu_start;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = clap_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  clap_window_set_session (window, session, FALSE);
  submit_many (session, n_active, "idle");
  /* everything submitted and first polls scheduled before measuring */
  wait_ms (3000);

  g_signal_connect_swapped (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                            G_CALLBACK (count_frame), NULL);
  cpu_start = cpu_seconds ();
  n_frames = 0;
  g_print ("start %.3f\n", g_get_real_time () / 1e6);
  fflush (stdout);
  wait_ms (seconds * 1000);
  g_print ("cpu %.3f s over %u s with %u active, %u frames drawn\n", cpu_seconds () - cpu_start,
           seconds, clap_poller_get_n_active (clap_session_get_poller (session)), n_frames);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

int
main (int argc, char *argv[])
{
  t0 = g_get_monotonic_time ();

  if (argc >= 2 && g_str_equal (argv[1], "bare"))
    return run_bare ();

  if (argc >= 2 && g_str_equal (argv[1], "startup"))
    return run_startup ();

  gtk_init ();
  adw_init ();

  if (argc >= 4 && g_str_equal (argv[1], "populate"))
    return run_populate (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
  if (argc >= 3 && g_str_equal (argv[1], "history"))
    return run_history (argv[2]);
  if (argc >= 4 && g_str_equal (argv[1], "stall"))
    return run_stall (argv[2], argv[3], argc >= 5 ? argv[4] : NULL);
  if (argc >= 5 && g_str_equal (argv[1], "idle"))
    return run_idle (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10),
                     (guint) g_ascii_strtoull (argv[4], NULL, 10));

  g_printerr ("usage: see the comment at the top of bench/bench-app.c\n");
  return 2;
}

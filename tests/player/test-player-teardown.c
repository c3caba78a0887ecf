/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-teardown"

#include "config.h"

#include "player-test-util.h"

/* Threads GStreamer or GLib may keep parked for reuse once everything is
 * stopped (GLib's thread pool keeps two idle ones). */
#define PARKED_THREADS 3

static guint
count_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

static void
on_pipeline_finalized (gpointer  data,
                       GObject  *where_the_object_was)
{
  gboolean *finalized = data;

  *finalized = TRUE;
}

/* One play of each clip, so that what is made once per process (the
 * system clock's thread, plugin loading) is counted in the baseline. */
static guint
baseline_threads (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);

  clap_player_set_file (player, f->landscape);
  clap_player_play (player);
  player_test_wait_until (clap_player_get_position (player) > 200000, 10000);
  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (clap_player_get_position (player) > 200000, 10000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
  player_test_run_for (100);

  return count_threads ();
}

/* Switching clips as fast as a person clicking through a list can, then
 * dropping the widget: one pipeline was made and it is gone, and so are
 * its threads. */
static void
test_quick_switches (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  guint baseline = baseline_threads ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GstElement *pipeline;
  gboolean pipeline_finalized = FALSE;
  GFile *files[] = { f->landscape, f->portrait, f->text, f->landscape, f->missing };

  clap_player_set_file (player, f->landscape);
  pipeline = _clap_player_get_pipeline (player);
  g_assert_nonnull (pipeline);
  g_object_weak_ref (G_OBJECT (pipeline), on_pipeline_finalized, &pipeline_finalized);

  for (guint i = 0; i < 50; i++)
    {
      clap_player_set_file (player, files[i % G_N_ELEMENTS (files)]);
      if (i % 3 == 0)
        clap_player_play (player);
      if (i % 7 == 0)
        clap_player_seek (player, 500000);

      /* Let some messages and frames through, as a running UI would. */
      for (guint j = 0; j < i % 4; j++)
        g_main_context_iteration (NULL, FALSE);

      /* The widget keeps its one pipeline. */
      g_assert_true (_clap_player_get_pipeline (player) == pipeline);
    }

  /* The last choice wins, whatever was still in flight. */
  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (clap_player_get_paintable (player))
                          == 180, 5000);
  g_assert_null (clap_player_get_error (player));

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
  g_assert_true (pipeline_finalized);

  player_test_wait_until (count_threads () <= baseline + PARKED_THREADS, 10000);
}

/* Disposing in the middle of playback stops the pipeline first. */
static void
test_dispose_while_playing (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  gboolean pipeline_finalized = FALSE;

  clap_player_set_file (player, f->landscape);
  clap_player_play (player);
  player_test_wait_until (clap_player_get_position (player) > 300000, 10000);
  g_object_weak_ref (G_OBJECT (_clap_player_get_pipeline (player)), on_pipeline_finalized,
                     &pipeline_finalized);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
  g_assert_true (pipeline_finalized);
}

/* A player never given a clip makes no pipeline at all. */
static void
test_unused (void)
{
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());

  g_assert_null (_clap_player_get_pipeline (player));
  clap_player_play (player);
  clap_player_seek (player, 1000);
  g_assert_false (clap_player_get_playing (player));
  g_assert_null (_clap_player_get_pipeline (player));
  g_assert_finalize_object (player);
}

/* NULL stops and clears. */
static void
test_set_null (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  GstState state;

  clap_player_set_file (player, f->landscape);
  clap_player_play (player);
  player_test_wait_until (clap_player_get_position (player) > 300000, 10000);

  clap_player_set_file (player, NULL);
  g_assert_null (clap_player_get_file (player));
  g_assert_false (clap_player_get_playing (player));
  g_assert_cmpint (clap_player_get_position (player), ==, 0);
  g_assert_cmpint (clap_player_get_duration (player), ==, 0);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 0);
  g_assert_null (clap_video_paintable_get_texture (CLAP_VIDEO_PAINTABLE (paintable)));
  g_assert_cmpint (gst_element_get_state (_clap_player_get_pipeline (player), &state, NULL, 0),
                   ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (state, ==, GST_STATE_NULL);

  /* Nothing of the old clip shows up later. */
  player_test_run_for (300);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 0);
  g_assert_cmpint (clap_player_get_position (player), ==, 0);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/teardown/quick-switches", test_quick_switches);
  g_test_add_func ("/player/teardown/dispose-while-playing", test_dispose_while_playing);
  g_test_add_func ("/player/teardown/unused", test_unused);
  g_test_add_func ("/player/teardown/set-null", test_set_null);

  return g_test_run ();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-seek"

#include "config.h"

#include "player-test-util.h"

/* One frame at 30 fps, and a little more for rounding. */
#define FRAME_NS (34 * GST_MSECOND)

static GstClockTime
frame_time (ClapPlayer *player)
{
  return clap_video_paintable_get_frame_time (CLAP_VIDEO_PAINTABLE (clap_player_get_paintable (player)));
}

static gboolean
frame_near (ClapPlayer *player,
            gint64      target_us)
{
  GstClockTime time = frame_time (player);
  GstClockTime target = target_us * GST_USECOND;

  return time != GST_CLOCK_TIME_NONE && time + FRAME_NS >= target && time <= target + FRAME_NS;
}

static gint64
pipeline_position (ClapPlayer *player)
{
  gint64 position = -1;

  g_assert_true (gst_element_query_position (_clap_player_get_pipeline (player), GST_FORMAT_TIME,
                                             &position));
  return position / GST_USECOND;
}

static ClapPlayer *
prerolled_player (GFile      *file,
                  GtkWindow **window)
{
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());

  *window = player_test_window_new (player);
  clap_player_set_file (player, file);
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  player_test_wait_until (frame_near (player, 0), 5000);

  return player;
}

static void
finish (ClapPlayer *player,
        GtkWindow  *window)
{
  g_assert_null (clap_player_get_error (player));
  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* Paused: the frame at the target shows, and the position says so. */
static void
test_paused (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  GtkWindow *window;
  ClapPlayer *player = prerolled_player (f->landscape, &window);

  clap_player_seek (player, 1500000);
  g_assert_cmpint (clap_player_get_position (player), ==, 1500000);
  player_test_wait_until (frame_near (player, 1500000), 5000);
  player_test_wait_until (player_test_is_prerolled (player), 5000);
  g_assert_cmpint (ABS (pipeline_position (player) - 1500000), <, 40000);
  g_assert_cmpint (ABS (clap_player_get_position (player) - 1500000), <, 40000);
  g_assert_false (clap_player_get_playing (player));

  finish (player, window);
}

/* Asked before the clip is ready, the seek waits for preroll. */
static void
test_before_preroll (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);

  clap_player_set_file (player, f->landscape);
  clap_player_seek (player, 2000000);
  g_assert_cmpint (clap_player_get_position (player), ==, 2000000);
  player_test_wait_until (frame_near (player, 2000000), 10000);
  player_test_wait_until (player_test_is_prerolled (player), 5000);
  g_assert_cmpint (ABS (pipeline_position (player) - 2000000), <, 40000);

  finish (player, window);
}

/* A burst of seeks, as a dragged slider sends: the last one wins. */
static void
test_latest_wins (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  GtkWindow *window;
  ClapPlayer *player = prerolled_player (f->landscape, &window);

  for (int i = 1; i <= 20; i++)
    clap_player_seek (player, i * 100000);
  clap_player_seek (player, 2500000);
  g_assert_cmpint (clap_player_get_position (player), ==, 2500000);

  player_test_wait_until (frame_near (player, 2500000), 5000);
  player_test_wait_until (player_test_is_prerolled (player), 5000);
  /* No earlier target turns up afterwards. */
  player_test_run_for (200);
  g_assert_true (frame_near (player, 2500000));
  g_assert_cmpint (ABS (clap_player_get_position (player) - 2500000), <, 40000);

  finish (player, window);
}

/* While playing, a seek jumps and playback goes on from there. */
static void
test_while_playing (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  GtkWindow *window;
  ClapPlayer *player = prerolled_player (f->landscape, &window);

  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 5000);
  clap_player_seek (player, 2000000);
  g_assert_true (clap_player_get_playing (player));
  player_test_wait_until (frame_time (player) >= 2000000 * GST_USECOND - FRAME_NS, 5000);
  player_test_wait_until (clap_player_get_position (player) > 2200000, 5000);
  g_assert_true (clap_player_get_playing (player));

  finish (player, window);
}

static void
test_clamped (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  GtkWindow *window;
  ClapPlayer *player = prerolled_player (f->portrait, &window);

  clap_player_seek (player, 1000000);
  player_test_wait_until (frame_near (player, 1000000), 5000);
  clap_player_seek (player, -5000000);
  g_assert_cmpint (clap_player_get_position (player), ==, 0);
  player_test_wait_until (frame_near (player, 0), 5000);

  clap_player_seek (player, 100 * G_USEC_PER_SEC);
  g_assert_cmpint (clap_player_get_position (player), ==, clap_player_get_duration (player));
  player_test_wait_until (player_test_is_prerolled (player), 5000);

  finish (player, window);
}

/* The slider and the arrow keys go through the same path. */
static void
test_controls (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  GtkWindow *window;
  ClapPlayer *player = prerolled_player (f->landscape, &window);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (player), "player.seek-relative", "x",
                                             (gint64) 1000000));
  g_assert_cmpint (clap_player_get_position (player), ==, 1000000);
  player_test_wait_until (frame_near (player, 1000000), 5000);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (player), "player.seek-relative", "x",
                                             (gint64) -400000));
  player_test_wait_until (frame_near (player, 600000), 5000);

  finish (player, window);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/seek/paused", test_paused);
  g_test_add_func ("/player/seek/before-preroll", test_before_preroll);
  g_test_add_func ("/player/seek/latest-wins", test_latest_wins);
  g_test_add_func ("/player/seek/while-playing", test_while_playing);
  g_test_add_func ("/player/seek/clamped", test_clamped);
  g_test_add_func ("/player/seek/controls", test_controls);

  return g_test_run ();
}

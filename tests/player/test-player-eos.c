/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-eos"

#include "config.h"

#include "player-test-util.h"

static GstClockTime
frame_time (ClapPlayer *player)
{
  return clap_video_paintable_get_frame_time (CLAP_VIDEO_PAINTABLE (clap_player_get_paintable (player)));
}

static void
on_playing_changed (ClapPlayer *player,
                    GParamSpec *pspec,
                    guint      *stops)
{
  if (!clap_player_get_playing (player))
    (*stops)++;
}

/* Without loop the clip stops on its last frame, and play starts over. */
static void
test_pause_at_end (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  guint stops = 0;

  g_assert_false (clap_player_get_loop (player));
  g_signal_connect (player, "notify::playing", G_CALLBACK (on_playing_changed), &stops);

  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (!clap_player_get_playing (player), PORTRAIT_DURATION_US / 1000 + 5000);
  g_assert_cmpuint (stops, ==, 1);

  g_assert_cmpint (clap_player_get_position (player), ==, clap_player_get_duration (player));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 180);
  g_assert_nonnull (clap_video_paintable_get_texture (CLAP_VIDEO_PAINTABLE (paintable)));
  g_assert_cmpuint (frame_time (player), >, (PORTRAIT_DURATION_US - 100000) * GST_USECOND);
  player_test_wait_until (!player_test_is_playing (player), 5000);

  /* It stays there. */
  player_test_run_for (300);
  g_assert_false (clap_player_get_playing (player));
  g_assert_cmpint (clap_player_get_position (player), ==, clap_player_get_duration (player));

  clap_player_play (player);
  g_assert_true (clap_player_get_playing (player));
  player_test_wait_until (frame_time (player) < 500 * GST_MSECOND, 5000);
  player_test_wait_until (player_test_is_playing (player), 5000);
  player_test_wait_until (clap_player_get_position (player) > 300000
                          && clap_player_get_position (player) < 1500000, 5000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* With loop the end seeks to the start and playback never stops. */
static void
test_loop (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  guint stops = 0;

  clap_player_set_loop (player, TRUE);
  g_signal_connect (player, "notify::playing", G_CALLBACK (on_playing_changed), &stops);

  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (frame_time (player) != GST_CLOCK_TIME_NONE
                          && frame_time (player) > 1700 * GST_MSECOND, 5000);
  player_test_wait_until (frame_time (player) < 300 * GST_MSECOND, 5000);
  player_test_wait_until (clap_player_get_position (player) < 1000000, 5000);
  g_assert_true (clap_player_get_playing (player));

  /* And again, with the loop toggled through its action. */
  player_test_wait_until (frame_time (player) > 1700 * GST_MSECOND, 5000);
  player_test_wait_until (frame_time (player) < 300 * GST_MSECOND, 5000);
  g_assert_true (clap_player_get_playing (player));
  g_assert_cmpuint (stops, ==, 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (player), "player.loop", NULL));
  g_assert_false (clap_player_get_loop (player));
  player_test_wait_until (!clap_player_get_playing (player), PORTRAIT_DURATION_US / 1000 + 5000);
  g_assert_cmpuint (stops, ==, 1);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/eos/pause-at-end", test_pause_at_end);
  g_test_add_func ("/player/eos/loop", test_loop);

  return g_test_run ();
}

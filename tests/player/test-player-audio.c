/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-audio"

#include "config.h"

#include "player-test-util.h"

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static double
pipeline_volume (ClapPlayer *player)
{
  double volume = -1;

  g_object_get (_clap_player_get_pipeline (player), "volume", &volume, NULL);
  return volume;
}

static gboolean
pipeline_muted (ClapPlayer *player)
{
  gboolean muted = FALSE;

  g_object_get (_clap_player_get_pipeline (player), "mute", &muted, NULL);
  return muted;
}

/* Volume and mute reach playbin, before and after it exists; volume is
 * perceptual, playbin's is linear (its cube). */
static void
test_volume_and_mute (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  guint volume_notifies = 0;
  guint muted_notifies = 0;

  g_assert_cmpfloat (clap_player_get_volume (player), ==, 1.0);
  g_assert_false (clap_player_get_muted (player));
  g_signal_connect (player, "notify::volume", G_CALLBACK (on_notify_count), &volume_notifies);
  g_signal_connect (player, "notify::muted", G_CALLBACK (on_notify_count), &muted_notifies);

  clap_player_set_volume (player, 0.5);
  clap_player_set_volume (player, 0.5);
  g_assert_cmpuint (volume_notifies, ==, 1);
  clap_player_set_muted (player, TRUE);
  clap_player_set_muted (player, TRUE);
  g_assert_cmpuint (muted_notifies, ==, 1);

  clap_player_set_file (player, f->landscape);
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  g_assert_cmpfloat_with_epsilon (pipeline_volume (player), 0.125, 0.001);
  g_assert_true (pipeline_muted (player));

  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 5000);

  clap_player_set_volume (player, 0.8);
  g_assert_cmpfloat_with_epsilon (pipeline_volume (player), 0.512, 0.001);
  clap_player_set_volume (player, 7.0);
  g_assert_cmpfloat (clap_player_get_volume (player), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (pipeline_volume (player), 1.0, 0.001);

  /* The mute toggle is an action, as the M key and the button use it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (player), "player.muted", NULL));
  g_assert_false (clap_player_get_muted (player));
  g_assert_false (pipeline_muted (player));
  g_object_set (player, "muted", TRUE, NULL);
  g_assert_true (pipeline_muted (player));
  g_assert_cmpuint (muted_notifies, ==, 3);

  player_test_wait_until (clap_player_get_position (player) > 500000, 5000);
  g_assert_null (clap_player_get_error (player));

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* An audio output that fails to open must not stop the picture: playback
 * goes on silently, at the clock's pace. */
static void
test_broken_audio_output (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GstElement *broken;
  gint64 start_wall;
  gint64 start_position;
  gint64 played;

  broken = gst_element_factory_make ("pulsesink", NULL);
  if (broken == NULL)
    {
      g_test_skip ("pulsesink is not installed");
      player_test_destroy_window (window);
      g_assert_finalize_object (player);
      return;
    }
  g_object_set (broken, "server", "unix:/nonexistent/clapboard-test-socket", NULL);

  /* Make the pipeline, stop it, and swap in the broken output. */
  clap_player_set_file (player, f->portrait);
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  clap_player_set_file (player, NULL);
  g_object_set (_clap_player_get_pipeline (player), "audio-sink", broken, NULL);

  clap_player_set_file (player, f->landscape);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (clap_player_get_position (player) > 0, 5000);
  g_assert_null (clap_player_get_error (player));
  g_assert_true (clap_player_get_playing (player));

  start_wall = g_get_monotonic_time ();
  start_position = player_test_pipeline_position (player);
  player_test_run_for (1000);
  played = player_test_pipeline_position (player) - start_position;
  g_assert_cmpint (ABS (played - (g_get_monotonic_time () - start_wall)), <, 250000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/audio/volume-and-mute", test_volume_and_mute);
  g_test_add_func ("/player/audio/broken-output", test_broken_audio_output);

  return g_test_run ();
}

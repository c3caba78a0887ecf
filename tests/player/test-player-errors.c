/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-errors"

#include "config.h"

#include "player-test-util.h"

/* A label the person can see, saying exactly this. */
static gboolean
shows_text (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget)
      && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0
      && gtk_widget_get_mapped (widget))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, text))
      return TRUE;

  return FALSE;
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* The failure becomes the error property and a message in the widget;
 * nothing is logged as a warning (the tests run with fatal warnings). */
static void
check_fails (GFile *file,
             int    code)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  const GError *error;
  g_autofree char *message = NULL;
  guint error_notifies = 0;

  g_signal_connect (player, "notify::error", G_CALLBACK (on_notify_count), &error_notifies);

  clap_player_set_file (player, file);
  clap_player_play (player);
  player_test_wait_until (clap_player_get_error (player) != NULL, 15000);
  player_test_run_for (200);

  error = clap_player_get_error (player);
  g_assert_error (error, CLAP_PLAYER_ERROR, code);
  g_assert_cmpuint (error_notifies, ==, 1);
  g_assert_false (clap_player_get_playing (player));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (clap_player_get_paintable (player)), ==, 0);
  player_test_wait_until (shows_text (GTK_WIDGET (player), error->message), 5000);
  message = g_strdup (error->message);

  /* No playing, seeking or play-pause while the clip is broken. */
  clap_player_play (player);
  clap_player_seek (player, 1000000);
  g_assert_false (clap_player_get_playing (player));
  gtk_widget_activate_action (GTK_WIDGET (player), "player.play-pause", NULL);
  g_assert_false (clap_player_get_playing (player));

  /* A good clip clears the error and plays. */
  clap_player_set_file (player, f->landscape);
  g_assert_null (clap_player_get_error (player));
  g_assert_cmpuint (error_notifies, ==, 2);
  g_assert_false (shows_text (GTK_WIDGET (player), message));
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (clap_player_get_paintable (player))
                          == 320, 5000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

static void
test_missing (void)
{
  check_fails (player_test_fixtures ()->missing, CLAP_PLAYER_ERROR_NOT_FOUND);
}

static void
test_text (void)
{
  check_fails (player_test_fixtures ()->text, CLAP_PLAYER_ERROR_NOT_VIDEO);
}

static void
test_truncated (void)
{
  check_fails (player_test_fixtures ()->truncated, CLAP_PLAYER_ERROR_CORRUPT);
}

/* Takes every H.264 decoder out of autoplugging, as on a system without
 * gstreamer1.0-libav. */
static GList *
hide_h264_decoders (void)
{
  g_autoptr(GstCaps) h264 = gst_caps_from_string ("video/x-h264");
  GList *decoders;
  GList *hidden = NULL;

  decoders = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODER,
                                                    GST_RANK_NONE);
  for (GList *l = decoders; l != NULL; l = l->next)
    {
      GstElementFactory *factory = l->data;

      if (gst_element_factory_can_sink_any_caps (factory, h264))
        {
          hidden = g_list_prepend (hidden, GUINT_TO_POINTER (gst_plugin_feature_get_rank (
            GST_PLUGIN_FEATURE (factory))));
          hidden = g_list_prepend (hidden, gst_object_ref (factory));
          gst_plugin_feature_set_rank (GST_PLUGIN_FEATURE (factory), GST_RANK_NONE);
        }
    }
  gst_plugin_feature_list_free (decoders);

  return hidden;
}

static void
restore_decoders (GList *hidden)
{
  for (GList *l = hidden; l != NULL; l = l->next->next)
    {
      gst_plugin_feature_set_rank (l->data, GPOINTER_TO_UINT (l->next->data));
      gst_object_unref (l->data);
    }
  g_list_free (hidden);
}

static void
check_missing_decoder (GFile *file)
{
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GList *hidden = hide_h264_decoders ();
  const GError *error;

  g_assert_nonnull (hidden);

  clap_player_set_file (player, file);
  player_test_wait_until (clap_player_get_error (player) != NULL, 15000);
  error = clap_player_get_error (player);
  g_assert_error (error, CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_MISSING_DECODER);
  g_assert_nonnull (strstr (error->message, "H.264"));
  player_test_wait_until (shows_text (GTK_WIDGET (player), error->message), 5000);

  restore_decoders (hidden);
  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* A clip with no sound: nothing at all can be played. */
static void
test_missing_decoder_silent (void)
{
  check_missing_decoder (player_test_fixtures ()->portrait);
}

/* A clip with sound: it would play, but a preview with no picture is a
 * failure all the same. */
static void
test_missing_decoder_with_sound (void)
{
  check_missing_decoder (player_test_fixtures ()->landscape);
}

static GstPadProbeReturn
hold_buffers (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  return GST_PAD_PROBE_OK;
}

/* A pipeline that goes quiet before prerolling (what decodebin does when it
 * swallows a demuxer's error) ends in an error, not in a wait forever. */
static void
test_silent_preroll (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  g_autoptr(GstElement) video_sink = NULL;
  g_autoptr(GstPad) pad = NULL;
  gint64 start;
  gulong probe;

  clap_player_set_file (player, f->portrait);
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  clap_player_set_file (player, NULL);

  g_object_get (_clap_player_get_pipeline (player), "video-sink", &video_sink, NULL);
  pad = gst_element_get_static_pad (video_sink, "sink");
  probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
                             hold_buffers, NULL, NULL);

  start = g_get_monotonic_time ();
  clap_player_set_file (player, f->landscape);
  player_test_wait_until (clap_player_get_error (player) != NULL, 15000);
  g_assert_error (clap_player_get_error (player), CLAP_PLAYER_ERROR, CLAP_PLAYER_ERROR_CORRUPT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC);
  player_test_wait_until (shows_text (GTK_WIDGET (player), clap_player_get_error (player)->message),
                          5000);

  gst_pad_remove_probe (pad, probe);
  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  g_assert_null (clap_player_get_error (player));

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/errors/missing-file", test_missing);
  g_test_add_func ("/player/errors/not-video", test_text);
  g_test_add_func ("/player/errors/truncated", test_truncated);
  g_test_add_func ("/player/errors/missing-decoder/silent", test_missing_decoder_silent);
  g_test_add_func ("/player/errors/missing-decoder/with-sound", test_missing_decoder_with_sound);
  g_test_add_func ("/player/errors/silent-preroll", test_silent_preroll);

  return g_test_run ();
}

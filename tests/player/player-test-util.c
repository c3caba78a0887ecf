/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "player-test"

#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "player-test-util.h"

#define ENCODE_TIMEOUT (60 * GST_SECOND)

static PlayerFixtures *fixtures;
static guint tick_id;
static guint tick_depth;

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* A wake-up every few milliseconds, so that a wait notices its timeout
 * even when nothing else happens. */
void
_player_test_tick_start (void)
{
  if (tick_depth++ == 0)
    tick_id = g_timeout_add (5, on_tick, NULL);
}

void
_player_test_tick_stop (void)
{
  if (--tick_depth == 0)
    g_clear_handle_id (&tick_id, g_source_remove);
}

void
player_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  player_test_wait_until (g_get_monotonic_time () >= end, ms + 1000);
}

static void
remove_fixtures (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (fixtures == NULL)
    return;

  dir = g_dir_open (fixtures->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixtures->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixtures->dir);
}

void
player_test_init (int    *argc,
                  char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  gst_init (argc, argv);
}

/* A clip of videotestsrc's colour bars, H.264 in MP4, with a key frame
 * every half second so that accurate seeks stay quick. */
GFile *
player_test_make_clip (const char *dir,
                       const char *name,
                       int         width,
                       int         height,
                       int         par_n,
                       int         par_d,
                       int         frames,
                       gboolean    with_audio)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *description = NULL;
  g_autofree char *audio = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;
  GstElement *sink;

  if (with_audio)
    /* One audio buffer per video frame: both streams end together. */
    audio = g_strdup_printf ("audiotestsrc num-buffers=%d samplesperbuffer=1470 "
                             "! audio/x-raw,rate=44100 ! audioconvert ! avenc_aac ! mux.",
                             frames);
  description = g_strdup_printf ("videotestsrc num-buffers=%d "
                                 "! video/x-raw,format=I420,width=%d,height=%d,"
                                 "pixel-aspect-ratio=%d/%d,framerate=30/1 "
                                 "! x264enc speed-preset=ultrafast key-int-max=15 "
                                 "! mp4mux name=mux ! filesink name=sink %s",
                                 frames, width, height, par_n, par_d, audio ? audio : "");

  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  gst_object_ref_sink (pipeline);

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "location", path, NULL);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, ENCODE_TIMEOUT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  return g_file_new_for_path (path);
}

const PlayerFixtures *
player_test_fixtures (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  gsize length;

  if (fixtures != NULL)
    return fixtures;

  fixtures = g_new0 (PlayerFixtures, 1);
  fixtures->dir = g_dir_make_tmp ("clap-player-test-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_fixtures);

  fixtures->landscape = player_test_make_clip (fixtures->dir, "landscape.mp4",
                                               320, 180, 1, 1, 90, TRUE);
  fixtures->portrait = player_test_make_clip (fixtures->dir, "portrait.mp4",
                                              180, 320, 1, 1, 60, FALSE);
  fixtures->anamorphic = player_test_make_clip (fixtures->dir, "anamorphic.mp4",
                                                240, 180, 4, 3, 30, FALSE);

  /* mp4mux writes the index last: half the file is data with no index. */
  g_file_load_contents (fixtures->landscape, NULL, &contents, &length, NULL, &error);
  g_assert_no_error (error);
  path = g_build_filename (fixtures->dir, "truncated.mp4", NULL);
  g_file_set_contents (path, contents, length / 2, &error);
  g_assert_no_error (error);
  fixtures->truncated = g_file_new_for_path (path);
  g_clear_pointer (&path, g_free);

  path = g_build_filename (fixtures->dir, "notes.mp4", NULL);
  g_file_set_contents (path, "These are notes about a clip, not a clip.\n", -1, &error);
  g_assert_no_error (error);
  fixtures->text = g_file_new_for_path (path);
  g_clear_pointer (&path, g_free);

  path = g_build_filename (fixtures->dir, "gone.mp4", NULL);
  fixtures->missing = g_file_new_for_path (path);

  return fixtures;
}

GtkWindow *
player_test_window_new_with_size (ClapPlayer *player,
                                  int         width,
                                  int         height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, GTK_WIDGET (player));
  gtk_window_present (window);

  return window;
}

GtkWindow *
player_test_window_new (ClapPlayer *player)
{
  return player_test_window_new_with_size (player, 480, 360);
}

void
player_test_destroy_window (GtkWindow *window)
{
  gtk_window_destroy (window);
  /* Let GTK drop what it still holds of the window's widgets. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* videotestsrc's bars are vivid; a black or grey frame means the picture
 * never arrived or was converted wrongly. */
gboolean
player_test_texture_has_colour (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guchar *data = g_malloc (stride * height);
  guint colourful = 0;

  gdk_texture_download (texture, data, stride);

  for (int y = 0; y < height; y += 4)
    for (int x = 0; x < width; x += 4)
      {
        const guchar *p = data + y * stride + x * 4;
        int lo = MIN (MIN (p[0], p[1]), p[2]);
        int hi = MAX (MAX (p[0], p[1]), p[2]);

        if (hi - lo > 100)
          colourful++;
      }

  /* Most of the bars are saturated. */
  return colourful > (guint) (width / 4) * (height / 4) / 4;
}

static gboolean
pipeline_settled_in (ClapPlayer *player,
                     GstState    wanted)
{
  GstElement *pipeline = _clap_player_get_pipeline (player);
  GstState state;
  GstState pending;

  /* A zero timeout only reads the state, it never waits. */
  return pipeline != NULL
         && gst_element_get_state (pipeline, &state, &pending, 0) == GST_STATE_CHANGE_SUCCESS
         && state >= wanted
         && pending == GST_STATE_VOID_PENDING;
}

gboolean
player_test_is_playing (ClapPlayer *player)
{
  return pipeline_settled_in (player, GST_STATE_PLAYING);
}

/* Prerolled, and the widget has seen it (it knows the duration). */
gboolean
player_test_is_prerolled (ClapPlayer *player)
{
  return pipeline_settled_in (player, GST_STATE_PAUSED) && clap_player_get_duration (player) > 0;
}

/* Where the pipeline is now, in µs, not where the widget last looked. */
gint64
player_test_pipeline_position (ClapPlayer *player)
{
  gint64 position = 0;

  g_assert_true (gst_element_query_position (_clap_player_get_pipeline (player), GST_FORMAT_TIME,
                                             &position));
  return position / GST_USECOND;
}

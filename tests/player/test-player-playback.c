/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-player-playback"

#include "config.h"

#include "player-test-util.h"

static GstClockTime
frame_time (ClapPlayer *player)
{
  return clap_video_paintable_get_frame_time (CLAP_VIDEO_PAINTABLE (clap_player_get_paintable (player)));
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
on_signal_count (gpointer  instance,
                 guint    *count)
{
  (*count)++;
}

/* souphttpsrc would bring libsoup 2, which cannot share a process with the
 * application's libsoup 3: local files never load it. */
static void
assert_no_libsoup2 (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  g_assert_null (strstr (maps, "libsoup-2.4"));
}

/* The window as the screen shows it, through the window's own renderer. */
static GdkTexture *
render_window (GtkWindow *window)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static void
pixel_at (GdkTexture *texture,
          int         x,
          int         y,
          guchar      rgb[3])
{
  gsize stride = (gsize) gdk_texture_get_width (texture) * 4;
  g_autofree guchar *data = g_malloc (stride * gdk_texture_get_height (texture));
  const guchar *p;

  gdk_texture_download (texture, data, stride);
  p = data + y * stride + x * 4;
  /* gdk_texture_download() writes native-endian ARGB. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0];
#else
  rgb[0] = p[1], rgb[1] = p[2], rgb[2] = p[3];
#endif
}

static void
test_landscape (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  GdkTexture *texture;
  guint position_notifies = 0;
  gint64 position;

  g_assert_null (clap_player_get_file (player));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 0);

  clap_player_set_file (player, f->landscape);
  g_assert_true (clap_player_get_file (player) == f->landscape);
  g_assert_false (clap_player_get_playing (player));

  /* Paused, the first frame shows at the clip's own size. */
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (paintable) > 0, 5000);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 180);
  g_assert_cmpfloat_with_epsilon (gdk_paintable_get_intrinsic_aspect_ratio (paintable),
                                  320.0 / 180.0, 0.001);
  texture = clap_video_paintable_get_texture (CLAP_VIDEO_PAINTABLE (paintable));
  g_assert_nonnull (texture);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 320);
  g_assert_true (player_test_texture_has_colour (texture));
  g_assert_cmpint (clap_player_get_duration (player), >, LANDSCAPE_DURATION_US - 100000);
  g_assert_cmpint (clap_player_get_duration (player), <, LANDSCAPE_DURATION_US + 100000);
  g_assert_null (clap_player_get_error (player));

  /* While paused, nothing polls the position. */
  g_signal_connect (player, "notify::position", G_CALLBACK (on_notify_count), &position_notifies);
  player_test_run_for (300);
  g_assert_cmpuint (position_notifies, ==, 0);

  clap_player_play (player);
  g_assert_true (clap_player_get_playing (player));
  player_test_wait_until (player_test_is_playing (player), 5000);
  player_test_wait_until (clap_player_get_position (player) > G_USEC_PER_SEC / 2, 5000);
  g_assert_cmpuint (position_notifies, >, 0);
  player_test_wait_until (frame_time (player) != GST_CLOCK_TIME_NONE
                          && frame_time (player) > 500 * GST_MSECOND, 5000);

  assert_no_libsoup2 ();

  /* Paused, the position stays where it is. */
  clap_player_pause (player);
  g_assert_false (clap_player_get_playing (player));
  player_test_wait_until (!player_test_is_playing (player), 5000);
  player_test_run_for (50);
  position = clap_player_get_position (player);
  player_test_run_for (300);
  g_assert_cmpint (clap_player_get_position (player), ==, position);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

static void
test_portrait (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  guint size_changes = 0;

  g_signal_connect (paintable, "invalidate-size", G_CALLBACK (on_signal_count), &size_changes);

  clap_player_set_file (player, f->portrait);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 10000);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (paintable) > 0, 5000);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 180);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 320);
  g_assert_cmpuint (size_changes, ==, 1);
  g_assert_true (player_test_texture_has_colour (
    clap_video_paintable_get_texture (CLAP_VIDEO_PAINTABLE (paintable))));

  /* Another clip of another shape resizes the paintable. */
  clap_player_set_file (player, f->landscape);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (paintable) == 320, 10000);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 180);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* Stored pixels that are not square are shown at their display size. */
static void
test_pixel_aspect_ratio (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  g_autoptr(GdkPaintable) image = NULL;

  clap_player_set_file (player, f->anamorphic);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (paintable) > 0, 10000);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 180);
  g_assert_cmpfloat_with_epsilon (gdk_paintable_get_intrinsic_aspect_ratio (paintable),
                                  320.0 / 180.0, 0.001);

  image = gdk_paintable_get_current_image (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (image), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (image), ==, 180);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* What reaches the screen: the frame, scaled to fit, letterboxed in black,
 * with the controls below. */
static void
test_on_screen (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  ClapVideoPaintableStats stats;
  g_autoptr(GdkTexture) shot = NULL;
  graphene_rect_t picture_bounds;
  GtkWidget *picture;
  guchar rgb[3];
  int width;

  clap_player_set_file (player, f->landscape);
  player_test_wait_until (gdk_paintable_get_intrinsic_width (paintable) > 0, 10000);
  player_test_wait_until (gtk_widget_get_mapped (GTK_WIDGET (player)), 5000);
  player_test_wait_until ((_clap_player_get_frame_stats (player, &stats, NULL), stats.drawn > 0),
                          5000);

  shot = render_window (window);
  width = gdk_texture_get_width (shot);
  g_assert_cmpint (width, >=, 320);

  /* The window is taller than 16:9: bars above and below the picture. */
  picture = gtk_widget_get_first_child (gtk_widget_get_first_child (
    gtk_widget_get_first_child (GTK_WIDGET (player))));
  g_assert_true (GTK_IS_PICTURE (picture));
  g_assert_true (gtk_widget_compute_bounds (picture, GTK_WIDGET (window), &picture_bounds));
  g_assert_cmpfloat (picture_bounds.size.height, >, picture_bounds.size.width * 9 / 16 + 4);

  pixel_at (shot, width / 2, (int) picture_bounds.origin.y + 1, rgb);
  g_assert_cmpint (MAX (MAX (rgb[0], rgb[1]), rgb[2]), <, 16);

  /* The top half of videotestsrc's bars, one third in: a saturated bar. */
  pixel_at (shot, width / 3,
            (int) (picture_bounds.origin.y + picture_bounds.size.height / 2 - width * 9 / 16 / 4),
            rgb);
  g_assert_cmpint (MAX (MAX (rgb[0], rgb[1]), rgb[2]) - MIN (MIN (rgb[0], rgb[1]), rgb[2]), >, 100);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

static GdkTexture *
current_texture (ClapPlayer *player)
{
  return clap_video_paintable_get_texture (CLAP_VIDEO_PAINTABLE (clap_player_get_paintable (player)));
}

/* A widget smaller than the video gets frames at its own size, made by the
 * converter; the paintable still says the video's size. Growing the widget
 * while paused brings the frame back at full size. */
static void
test_scaled_to_widget (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new_with_size (player, 200, 200);
  GdkPaintable *paintable = clap_player_get_paintable (player);
  GdkTexture *texture;
  gint64 position;

  clap_player_set_file (player, f->landscape);
  clap_player_play (player);
  player_test_wait_until (current_texture (player) != NULL
                          && gdk_texture_get_width (current_texture (player)) < 320, 10000);
  texture = current_texture (player);
  g_assert_cmpint (gdk_texture_get_width (texture), <=, gtk_widget_get_width (GTK_WIDGET (player)));
  g_assert_cmpfloat_with_epsilon ((double) gdk_texture_get_width (texture)
                                  / gdk_texture_get_height (texture), 320.0 / 180.0, 0.03);
  g_assert_true (player_test_texture_has_colour (texture));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 320);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 180);

  clap_player_pause (player);
  player_test_wait_until (!player_test_is_playing (player), 5000);
  player_test_run_for (100);
  position = clap_player_get_position (player);

  gtk_widget_set_size_request (GTK_WIDGET (player), 640, 480);
  player_test_wait_until (gdk_texture_get_width (current_texture (player)) == 320, 5000);
  g_assert_cmpint (gdk_texture_get_height (current_texture (player)), ==, 180);
  g_assert_false (clap_player_get_playing (player));
  player_test_wait_until (player_test_is_prerolled (player), 5000);
  g_assert_cmpint (ABS (clap_player_get_position (player) - position), <, 50000);

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

/* With no sound card (CI, Xvfb) the clip still plays, at the speed of the
 * clock. */
static void
test_real_time (void)
{
  const PlayerFixtures *f = player_test_fixtures ();
  ClapPlayer *player = g_object_ref_sink (clap_player_new ());
  GtkWindow *window = player_test_window_new (player);
  gint64 start_wall;
  gint64 start_position;
  gint64 played;
  gint64 elapsed;

  clap_player_set_file (player, f->landscape);
  player_test_wait_until (player_test_is_prerolled (player), 10000);
  clap_player_play (player);
  player_test_wait_until (player_test_is_playing (player), 5000);
  player_test_wait_until (clap_player_get_position (player) > 0, 5000);

  start_wall = g_get_monotonic_time ();
  start_position = player_test_pipeline_position (player);
  player_test_run_for (1500);
  played = player_test_pipeline_position (player) - start_position;
  elapsed = g_get_monotonic_time () - start_wall;

  /* Playback follows the clock, give or take a few frames. */
  g_assert_cmpint (played, >, elapsed - 250000);
  g_assert_cmpint (played, <, elapsed + 250000);
  g_assert_null (clap_player_get_error (player));

  player_test_destroy_window (window);
  g_assert_finalize_object (player);
}

int
main (int   argc,
      char *argv[])
{
  player_test_init (&argc, &argv);

  g_test_add_func ("/player/playback/landscape", test_landscape);
  g_test_add_func ("/player/playback/portrait", test_portrait);
  g_test_add_func ("/player/playback/pixel-aspect-ratio", test_pixel_aspect_ratio);
  g_test_add_func ("/player/playback/on-screen", test_on_screen);
  g_test_add_func ("/player/playback/scaled-to-widget", test_scaled_to_widget);
  g_test_add_func ("/player/playback/real-time", test_real_time);

  return g_test_run ();
}

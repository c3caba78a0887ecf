/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-player-bench"

#include "config.h"

#include <math.h>
#include <sys/resource.h>

#include <gst/gst.h>
#include <gtk/gtk.h>

#include "clap-player-private.h"

/* Plays one clip to its end in a window, with ClapPlayer or with GtkVideo,
 * and prints the CPU time the whole process used meanwhile and what
 * became of the frames. With --screenshot it renders the window to a PNG
 * a little into the clip instead. */

static char *player_name = NULL;
static char *screenshot = NULL;
static int window_width = 960;
static int window_height = 600;

static GOptionEntry entries[] = {
  { "player", 0, 0, G_OPTION_ARG_STRING, &player_name, "clap (default) or gtk", "NAME" },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "Save the window as a PNG", "FILE" },
  { "width", 0, 0, G_OPTION_ARG_INT, &window_width, "Window width", "PIXELS" },
  { "height", 0, 0, G_OPTION_ARG_INT, &window_height, "Window height", "PIXELS" },
  { NULL }
};

typedef struct
{
  GtkWindow      *window;
  ClapPlayer     *player;   /* one of these two */
  GtkMediaStream *stream;
  gboolean        started;
  gboolean        done;
  double          cpu_start;
  gint64          wall_start;
  double          cpu;
  double          wall;
  guint64         stream_frames;
} Bench;

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static void
start_measuring (Bench *bench)
{
  bench->started = TRUE;
  bench->cpu_start = cpu_seconds ();
  bench->wall_start = g_get_monotonic_time ();
}

static void
stop_measuring (Bench *bench)
{
  if (!bench->started || bench->done)
    return;

  bench->cpu = cpu_seconds () - bench->cpu_start;
  bench->wall = (g_get_monotonic_time () - bench->wall_start) / 1e6;
  bench->done = TRUE;
}

static void
on_clap_playing (ClapPlayer *player,
                 GParamSpec *pspec,
                 Bench      *bench)
{
  if (!clap_player_get_playing (player))
    stop_measuring (bench);
}

static void
on_stream_ended (GtkMediaStream *stream,
                 GParamSpec     *pspec,
                 Bench          *bench)
{
  if (gtk_media_stream_get_ended (stream))
    stop_measuring (bench);
}

static void
on_stream_frame (GdkPaintable *paintable,
                 Bench        *bench)
{
  if (bench->started && !bench->done)
    bench->stream_frames++;
}

static gboolean
is_ready (Bench *bench)
{
  if (bench->player != NULL)
    return clap_player_get_duration (bench->player) > 0
           && gdk_paintable_get_intrinsic_width (clap_player_get_paintable (bench->player)) > 0;

  return bench->stream != NULL && gtk_media_stream_is_prepared (bench->stream);
}

static void
run_until (gboolean (*done) (Bench *bench),
           Bench     *bench,
           double     timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!done (bench))
    {
      if (g_get_monotonic_time () > end)
        g_error ("Timed out");
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_done (Bench *bench)
{
  return bench->done;
}

static gboolean
played_a_bit (Bench *bench)
{
  return g_get_monotonic_time () - bench->wall_start > 1500 * 1000;
}

typedef struct
{
  Bench      *bench;
  const char *path;
  gboolean    saved;
} Screenshot;

/* Right after a paint, the window's render tree is complete; any later
 * frame of the video already marks it for redrawing. */
static void
save_screenshot (GdkFrameClock *clock,
                 Screenshot    *shot)
{
  GtkWidget *window = GTK_WIDGET (shot->bench->window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);

  if (shot->saved || !played_a_bit (shot->bench))
    return;

  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, shot->path))
    g_error ("Cannot write %s", shot->path);
  g_print ("screenshot %s (%d×%d)\n", shot->path, width, height);
  shot->saved = TRUE;
}

static gboolean
screenshot_saved (Bench *bench)
{
  Screenshot *shot = g_object_get_data (G_OBJECT (bench->window), "screenshot");

  return shot->saved;
}

static int
expected_frames (ClapPlayer *player)
{
  GstElement *pipeline = _clap_player_get_pipeline (player);
  g_autoptr(GstPad) pad = NULL;
  g_autoptr(GstCaps) caps = NULL;
  int fps_n = 0;
  int fps_d = 1;

  g_signal_emit_by_name (pipeline, "get-video-pad", 0, &pad);
  if (pad != NULL)
    caps = gst_pad_get_current_caps (pad);
  if (caps == NULL
      || !gst_structure_get_fraction (gst_caps_get_structure (caps, 0), "framerate",
                                      &fps_n, &fps_d)
      || fps_d == 0)
    return 0;

  /* The sound may run a little longer than the picture. */
  return (int) floor ((double) clap_player_get_duration (player) / G_USEC_PER_SEC
                      * fps_n / fps_d);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("CLIP — play a clip and measure");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  GtkWidget *header;
  gboolean gtk_video;
  Bench bench = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message : "Give one clip");
      return 2;
    }

  gtk_init ();
  gst_init (NULL, NULL);

  gtk_video = g_strcmp0 (player_name, "gtk") == 0;
  file = g_file_new_for_commandline_arg (argv[1]);

  bench.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (bench.window, window_width, window_height);
  header = gtk_header_bar_new ();
  gtk_window_set_titlebar (bench.window, header);
  gtk_window_set_title (bench.window, gtk_video ? "GtkVideo" : "Clapboard");

  if (gtk_video)
    {
      GtkWidget *video = gtk_video_new_for_file (file);

      gtk_window_set_child (bench.window, video);
      bench.stream = gtk_video_get_media_stream (GTK_VIDEO (video));
      g_signal_connect (bench.stream, "notify::ended", G_CALLBACK (on_stream_ended), &bench);
      g_signal_connect (bench.stream, "invalidate-contents", G_CALLBACK (on_stream_frame), &bench);
    }
  else
    {
      bench.player = clap_player_new ();
      gtk_window_set_child (bench.window, GTK_WIDGET (bench.player));
      clap_player_set_file (bench.player, file);
      g_signal_connect (bench.player, "notify::playing", G_CALLBACK (on_clap_playing), &bench);
    }

  gtk_window_present (bench.window);
  run_until (is_ready, &bench, 30);

  start_measuring (&bench);
  if (gtk_video)
    gtk_media_stream_play (bench.stream);
  else
    clap_player_play (bench.player);

  if (screenshot != NULL)
    {
      Screenshot shot = { &bench, screenshot, FALSE };
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (bench.window));

      g_object_set_data (G_OBJECT (bench.window), "screenshot", &shot);
      g_signal_connect (clock, "after-paint", G_CALLBACK (save_screenshot), &shot);
      run_until (screenshot_saved, &bench, 30);
      g_signal_handlers_disconnect_by_data (clock, &shot);
      gtk_window_destroy (bench.window);
      return 0;
    }

  run_until (is_done, &bench, 120);

  if (gtk_video)
    g_print ("gtkvideo   cpu %.2f s  wall %.2f s  load %.1f %%  frames delivered %" G_GUINT64_FORMAT "\n",
             bench.cpu, bench.wall, 100 * bench.cpu / bench.wall, bench.stream_frames);
  else
    {
      ClapVideoPaintableStats stats;
      guint64 late = 0;
      int expected = expected_frames (bench.player);

      _clap_player_get_frame_stats (bench.player, &stats, &late);
      g_print ("clapplayer cpu %.2f s  wall %.2f s  load %.1f %%  frames expected %d "
               "shown %" G_GUINT64_FORMAT " drawn %" G_GUINT64_FORMAT
               " replaced %" G_GUINT64_FORMAT " late %" G_GUINT64_FORMAT
               " dropped %" G_GINT64_FORMAT "\n",
               bench.cpu, bench.wall, 100 * bench.cpu / bench.wall, expected,
               stats.shown, stats.drawn, stats.replaced, late,
               MAX ((gint64) expected - (gint64) stats.drawn, (gint64) 0));
    }

  gtk_window_destroy (bench.window);

  return 0;
}
